"""The console's sidebar, arranged by the L&D admin's tasks rather than by Django app. Links are URL
names, so the core names the other apps' pages without importing them; an item is shown only to those
who may view the page."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (section, [(title, icon, URL name, permission needed to view)])
SECTIONS: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    (
        "Dashboard",
        [
            ("Dashboard", "monitoring", "identity_dashboard", ""),
            (
                "Alerts",
                "notifications_active",
                "admin:provisioning_alert_changelist",
                "provisioning.view_alert",
            ),
        ],
    ),
    (
        "People",
        [
            ("People", "person", "admin:lms_identity_user_changelist", "lms_identity.view_user"),
            ("Import accounts", "upload_file", "account_import", "lms_identity.view_user"),
            (
                "SSO sign-ins",
                "login",
                "admin:lms_identity_loginrecord_changelist",
                "lms_identity.view_loginrecord",
            ),
            (
                "Subject links",
                "link",
                "admin:lms_identity_subjectlink_changelist",
                "lms_identity.view_subjectlink",
            ),
        ],
    ),
    (
        "Teams",
        [
            ("Teams", "groups", "admin:lms_identity_group_changelist", "lms_identity.view_group"),
            (
                "Groups-claim mapping",
                "alt_route",
                "admin:lms_identity_groupclaimmapping_changelist",
                "lms_identity.view_groupclaimmapping",
            ),
        ],
    ),
    (
        "Connections",
        [
            (
                "IdP connections",
                "hub",
                "admin:lms_identity_idpconnection_changelist",
                "lms_identity.view_idpconnection",
            ),
            (
                "OpenID Connect",
                "key",
                "admin:lms_identity_oidcconfig_changelist",
                "lms_identity.view_oidcconfig",
            ),
            (
                "SCIM tokens",
                "token",
                "admin:lms_identity_scimtoken_changelist",
                "lms_identity.view_scimtoken",
            ),
            (
                "SCIM requests",
                "receipt_long",
                "admin:provisioning_scimrequest_changelist",
                "provisioning.view_scimrequest",
            ),
            (
                "Break-glass requests",
                "emergency",
                "admin:lms_identity_breakglassrequest_changelist",
                "lms_identity.view_breakglassrequest",
            ),
            (
                "Admin API tokens",
                "api",
                "admin:lms_identity_apitoken_changelist",
                "lms_identity.view_apitoken",
            ),
        ],
    ),
    (
        "Catalog & rules",
        [
            ("Courses", "menu_book", "admin:courses_course_changelist", "courses.view_course"),
            ("Learning paths", "route", "admin:courses_learningpath_changelist", "courses.view_learningpath"),
            (
                "Entitlement rules",
                "rule",
                "admin:courses_entitlementrule_changelist",
                "courses.view_entitlementrule",
            ),
            ("Role templates", "badge", "admin:courses_roletemplate_changelist", "courses.view_roletemplate"),
            (
                "Course instructors",
                "school",
                "admin:courses_courseinstructor_changelist",
                "courses.view_courseinstructor",
            ),
            (
                "HR role mapping",
                "account_tree",
                "admin:courses_hrrolemapping_changelist",
                "courses.view_hrrolemapping",
            ),
            ("Overrides", "tune", "admin:courses_override_changelist", "courses.view_override"),
            ("Grants", "verified", "admin:courses_grant_changelist", "courses.view_grant"),
            ("Enrollments", "school", "admin:courses_enrollment_changelist", "courses.view_enrollment"),
        ],
    ),
    (
        "Licenses",
        [("License pools", "license", "admin:courses_licensepool_changelist", "courses.view_licensepool")],
    ),
    (
        "Jobs",
        [
            (
                "Sweeps",
                "cleaning_services",
                "admin:provisioning_sweepsettings_changelist",
                "provisioning.view_sweepsettings",
            ),
            ("Job runs", "history", "admin:provisioning_jobrun_changelist", "provisioning.view_jobrun"),
            (
                "Leaver latency",
                "timer",
                "admin:provisioning_deprovisioninglatency_changelist",
                "provisioning.view_deprovisioninglatency",
            ),
        ],
    ),
    (
        "Audit",
        [
            (
                "Audit trail",
                "policy",
                "admin:lms_identity_auditevent_changelist",
                "lms_identity.view_auditevent",
            )
        ],
    ),
    (
        "Admin accounts",
        [
            (
                "Permission groups (not IdP teams)",
                "admin_panel_settings",
                "admin:auth_group_changelist",
                "auth.view_group",
            )
        ],
    ),
]


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    """unfold's SIDEBAR navigation for this request."""
    user = request.user
    groups = []
    for title, entries in SECTIONS:
        items = []
        for label, icon, url_name, perm in entries:
            if perm and not user.has_perm(perm):
                continue
            try:
                link = reverse(url_name)
            except NoReverseMatch:
                continue
            items.append({"title": label, "icon": icon, "link": link})
        if items:
            groups.append({"title": title, "separator": True, "collapsible": False, "items": items})
    return groups
