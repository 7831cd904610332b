"""The attributes an IdP owns on a person, declared once.

The SCIM adapter (where each lives in a SCIM resource), the SSO sign-in refresh (which ones a claim may
set on a just-in-time person), the user services (which ones a caller may write) and the admin (which ones
are read-only) all read this list; none keeps its own copy.
"""

from dataclasses import dataclass

CORE = ""
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LMS = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"


class Kind:
    """How the SCIM adapter reads and renders the attribute."""

    STRING = "string"  # a plain string attribute at the top of its schema
    NAME = "name"  # a sub-attribute of the core `name` complex attribute
    EMAIL = "email"  # the primary work entry of `emails`
    MANAGER = "manager"  # enterprise `manager.value`, a reference resolved by the services
    DATE = "date"
    CUSTOM = "custom"  # our extension's configured customAttributes
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class IdpAttribute:
    field: str  # the User model field
    scim: str  # its name in its SCIM schema (RFC 7643 §4.1, §4.3, or our extension)
    schema: str = CORE
    kind: str = Kind.STRING
    # The ID-token claim it usually comes from (OpenID Connect Core §5.1 where one exists; a connection's
    # claim mapping says which claim it reads). Set only for attributes a sign-in may refresh on a person
    # the SCIM connector does not own.
    claim: str = ""
    # userName, email and externalId find a person (SCIM filters, the SSO join): an IdP never renames
    # an account with admin power (services/adoption.py).
    identifying: bool = False

    @property
    def refreshed_at_sign_in(self) -> bool:
        return bool(self.claim)


IDP_ATTRIBUTES: tuple[IdpAttribute, ...] = (
    IdpAttribute("external_id", "externalId", identifying=True),
    IdpAttribute("user_name", "userName", identifying=True),
    IdpAttribute("email", "emails", kind=Kind.EMAIL, claim="email", identifying=True),
    IdpAttribute("given_name", "givenName", kind=Kind.NAME, claim="given_name"),
    IdpAttribute("family_name", "familyName", kind=Kind.NAME, claim="family_name"),
    IdpAttribute("middle_name", "middleName", kind=Kind.NAME, claim="middle_name"),
    IdpAttribute("display_name", "displayName", claim="name"),
    IdpAttribute("nick_name", "nickName", claim="nickname"),
    IdpAttribute("title", "title", claim="title"),
    IdpAttribute("user_type", "userType"),
    IdpAttribute("preferred_language", "preferredLanguage", claim="preferred_language"),
    IdpAttribute("locale", "locale", claim="locale"),
    IdpAttribute("timezone", "timezone", claim="zoneinfo"),
    IdpAttribute("employee_number", "employeeNumber", ENTERPRISE, claim="employee_number"),
    IdpAttribute("cost_center", "costCenter", ENTERPRISE, claim="cost_center"),
    IdpAttribute("organization", "organization", ENTERPRISE, claim="organization"),
    IdpAttribute("division", "division", ENTERPRISE, claim="division"),
    IdpAttribute("department", "department", ENTERPRISE, claim="department"),
    IdpAttribute("manager", "manager", ENTERPRISE, kind=Kind.MANAGER),
    IdpAttribute("hire_date", "hireDate", LMS, kind=Kind.DATE),
    IdpAttribute("custom_attributes", "customAttributes", LMS, kind=Kind.CUSTOM),
    IdpAttribute("is_active", "active", kind=Kind.BOOLEAN),
)

IDP_FIELDS: tuple[str, ...] = tuple(a.field for a in IDP_ATTRIBUTES)
IDENTIFYING_FIELDS = frozenset(a.field for a in IDP_ATTRIBUTES if a.identifying)
REFRESHED_AT_SIGN_IN = frozenset(a.field for a in IDP_ATTRIBUTES if a.refreshed_at_sign_in)


def of_kind(kind: str, schema: str | None = None) -> tuple[IdpAttribute, ...]:
    """The declared attributes of one kind (and schema), in declaration order."""
    return tuple(a for a in IDP_ATTRIBUTES if a.kind == kind and (schema is None or a.schema == schema))
