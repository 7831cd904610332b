"""What each capability of a role template allows, in Django's own terms: the model permissions the admin
and the API's permission classes check. `courses.services.admin_access` gives a person exactly the
permissions of the capabilities their active role grants carry; nothing else grants admin power (the
owner-level superuser is made by hand and never by an IdP).

Capabilities that only concern the learner pages (learn, teach, view_reports) map to no permission: the
pages check them through `courses.queries`."""

from .models import Capability


def _model(app_label: str, model: str, *actions: str) -> list[str]:
    return [f"{app_label}.{action}_{model}" for action in actions]


VIEW = ("view",)
EDIT = ("view", "add", "change")
EDIT_DELETE = ("view", "add", "change", "delete")

PERMISSIONS: dict[str, list[str]] = {
    Capability.MANAGE_CATALOG: [
        *_model("courses", "course", *EDIT),
        *_model("courses", "learningpath", *EDIT),
        *_model("courses", "pathcourse", *EDIT_DELETE),
        *_model("courses", "courseinstructor", "view", "add", "delete"),
        *_model("courses", "enrollment", *VIEW),
    ],
    Capability.MANAGE_RULES: [
        *_model("courses", "entitlementrule", *EDIT_DELETE),
        *_model("courses", "hrrolemapping", *EDIT_DELETE),
        *_model("courses", "roletemplate", *EDIT),
        *_model("courses", "licensepool", *EDIT),
        *_model("courses", "grant", *VIEW),
        *_model("courses", "override", *EDIT_DELETE),
        # A rule names the groups it selects: choosing one needs to see them.
        *_model("lms_identity", "group", *VIEW),
    ],
    Capability.MANAGE_JOBS: [
        *_model("provisioning", "jobrun", *EDIT),
        *_model("provisioning", "sweepsettings", "view", "change"),
        *_model("provisioning", "alert", "view", "change"),
    ],
    Capability.VIEW_PEOPLE: [
        *_model("lms_identity", "user", *VIEW),
        *_model("lms_identity", "group", *VIEW),
        *_model("lms_identity", "membership", *VIEW),
    ],
    Capability.VIEW_AUDIT: [
        *_model("lms_identity", "auditevent", *VIEW),
        *_model("lms_identity", "loginrecord", *VIEW),
    ],
    # The identity dashboard shows job, alert and deprovisioning figures (provisioning.dashboard_views).
    Capability.VIEW_DASHBOARDS: [
        *_model("provisioning", "jobrun", *VIEW),
        *_model("provisioning", "alert", *VIEW),
        *_model("provisioning", "deprovisioninglatency", *VIEW),
    ],
    # The connection pages read-only: the URLs to give the IdP, its health, the SCIM request log. Not the
    # OpenID Connect settings' own pages, whose form holds the client secret: the connection page shows
    # their issuer, policies and URLs.
    Capability.VIEW_CONNECTIONS: [
        *_model("lms_identity", "idpconnection", *VIEW),
        *_model("lms_identity", "scimtoken", *VIEW),
        *_model("provisioning", "scimrequest", *VIEW),
    ],
    # Issuing, rotating and revoking tokens (the connection page's token buttons and the token list's
    # revoke action), without changing the connection or its sign-in settings.
    Capability.MANAGE_SCIM_TOKENS: [
        *_model("lms_identity", "idpconnection", *VIEW),
        *_model("lms_identity", "scimtoken", "view", "add", "change"),
    ],
    Capability.APPROVE_BREAK_GLASS: [
        *_model("lms_identity", "breakglassrequest", "view", "add", "change"),
    ],
}

# Capabilities that make a person staff (they may open /admin/); learning, teaching and reading one's
# reports are not admin power.
ADMIN_CAPABILITIES = frozenset(PERMISSIONS)

# What the API docs need: whoever may use some of the admin API may read its schema (an Auditor too:
# they read job runs and alerts through it).
API_PERMISSIONS = frozenset(
    PERMISSIONS[Capability.MANAGE_CATALOG]
    + PERMISSIONS[Capability.MANAGE_RULES]
    + ["provisioning.view_jobrun", "provisioning.view_alert", "lms_identity.view_user"]
)

# The permission the identity dashboard checks.
DASHBOARD_PERMISSION = "provisioning.view_jobrun"


def permissions_for(capabilities: set[str]) -> set[str]:
    """The "app_label.codename" permissions these capabilities give."""
    return {perm for capability in capabilities for perm in PERMISSIONS.get(capability, [])}
