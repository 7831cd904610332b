"""The SCIM view of a person (RFC 7643 §4.1 and the enterprise extension §4.3), over our User model.

Builds on django-scim2's SCIMUser adapter: `to_dict` renders, `from_dict` and `handle_operations`
only record what the IdP asked for in `self.changes`; the view hands those to the core services."""

import json
from typing import Any

from django.http import HttpRequest
from django_scim.adapters import SCIMUser

from lms_identity.idp_attributes import CORE, Kind, of_kind
from lms_identity.models import User

from ..errors import ScimError
from ..patch_paths import PatchPath, matches
from ..schemas import ENTERPRISE_SCHEMA, LMS_SCHEMA, USER_SCHEMA, custom_attribute_names
from .operations import flatten, iter_operations
from .values import as_boolean, as_date, as_object, as_string, invalid, reference_value

ENTERPRISE = ENTERPRISE_SCHEMA.lower()
LMS = LMS_SCHEMA.lower()

# Where each attribute the IdP owns lives in the resource comes from the one declaration (idp_attributes).
PLAIN_STRINGS = of_kind(Kind.STRING)
# (urn, attribute) -> model field, for plain string attributes. Some IdPs send department in the core
# schema; it is read there too and rendered in the enterprise extension.
STRING_FIELDS = {
    **{(a.schema.lower(), a.scim.lower()): a.field for a in PLAIN_STRINGS},
    ("", "department"): "department",
}
NAME_PARTS = tuple((a.scim, a.field) for a in of_kind(Kind.NAME))
CORE_STRINGS = tuple((a.scim, a.field) for a in of_kind(Kind.STRING, CORE) if not a.identifying)
ENTERPRISE_STRINGS = tuple((a.scim, a.field) for a in of_kind(Kind.STRING, ENTERPRISE_SCHEMA))
NAME_FIELDS = {scim.lower(): field for scim, field in NAME_PARTS}
# Read-only or not stored: accepted and ignored, so Okta's resync (`id`), Okta's create (`password`,
# `groups`) and Entra's default mappings (phone numbers, addresses) do not fail the whole request.
IGNORED = frozenset(
    {
        "id",
        "meta",
        "schemas",
        "groups",
        "password",
        "phonenumbers",
        "addresses",
        "ims",
        "photos",
        "entitlements",
        "roles",
        "x509certificates",
        "profileurl",
    }
)
IGNORED_NAME_PARTS = frozenset({"formatted", "honorificprefix", "honorificsuffix"})
CLEARED_ON_PUT: dict[str, Any] = {
    **{field: "" for field in STRING_FIELDS.values() if field != "user_name"},
    **{field: "" for field in NAME_FIELDS.values()},
    "email": "",
    "hire_date": None,
    "manager_ref": "",
}


class ScimUserAdapter(SCIMUser):
    id_field = "pk"
    resource_type = "User"

    def __init__(self, obj: User, request: HttpRequest | None = None, base_url: str = "") -> None:
        super().__init__(obj, request)
        self.base_url = base_url
        self.changes: dict[str, Any] = {}

    @property
    def location(self) -> str:
        return f"{self.base_url}Users/{self.obj.pk}"

    def to_dict(self, *, manager_name: bool = False) -> dict[str, Any]:
        """The User resource. `manager_name` adds the manager's displayName (returned "request")."""
        user: User = self.obj
        d: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(user.pk)}
        if user.external_id:
            d["externalId"] = user.external_id
        d["userName"] = user.user_name
        name = {scim: getattr(user, field) for scim, field in NAME_PARTS if getattr(user, field)}
        if name:
            d["name"] = name
        for scim, field in CORE_STRINGS:
            if getattr(user, field):
                d[scim] = getattr(user, field)
        d["active"] = user.is_active
        if user.email:
            d["emails"] = [{"value": user.email, "type": "work"}]
        enterprise = {
            scim: getattr(user, field) for scim, field in ENTERPRISE_STRINGS if getattr(user, field)
        }
        if user.manager_id:
            enterprise["manager"] = {
                "value": str(user.manager_id),
                "$ref": f"{self.base_url}Users/{user.manager_id}",
            }
            if manager_name and user.manager is not None:
                enterprise["manager"]["displayName"] = user.manager.display_name or user.manager.user_name
        lms: dict[str, Any] = {}
        if user.hire_date:
            lms["hireDate"] = user.hire_date.isoformat()
        custom = {
            name: _as_text(user.custom_attributes[name])
            for name in custom_attribute_names()
            if (user.custom_attributes or {}).get(name) not in (None, "")
        }
        if custom:
            lms["customAttributes"] = custom
        for urn, extension in ((ENTERPRISE_SCHEMA, enterprise), (LMS_SCHEMA, lms)):
            if extension:
                d["schemas"].append(urn)
                # scim2-models (and so scim2-tester) reads an extension object's own `schemas` in responses.
                d[urn] = {"schemas": [urn], **extension}
        d["meta"] = {
            "resourceType": "User",
            "created": user.created_at.isoformat(),
            "lastModified": user.updated_at.isoformat(),
            "location": self.location,
            "version": user.etag,
        }
        return d

    def from_dict(self, d: dict[str, Any], *, replacing: bool = False) -> None:
        """Record a POST or PUT body. PUT replaces: what the body leaves out is cleared (RFC 7644 §3.5.1)."""
        if not isinstance(d, dict):
            raise ScimError(400, "The body must be a JSON object", "invalidSyntax")
        self.changes = dict(CLEARED_ON_PUT) if replacing else {}
        if replacing:
            self.changes["custom_attributes"] = self._without_custom_names()
        for path, value in flatten(d, strict=False):
            try:
                self.set(path, value)
            except ScimError as exc:
                # RFC 7644 §3.3: attributes the service does not store are ignored on create/replace.
                if exc.scim_type != "invalidPath":
                    raise
        if not self.changes.get("user_name"):
            raise invalid("userName", "is required")

    def handle_operations(self, operations: Any) -> None:
        """Record a PatchOp's operations, in order, as changes to the stored values."""
        self.changes = {}
        for op, path, value in iter_operations(operations):
            if op == "remove":
                self.remove(path)
            else:
                self.set(path, value, op=op)

    def set(self, path: PatchPath, value: Any, op: str = "replace") -> None:
        key = (path.urn, path.attr)
        if (path.urn == "" and path.attr in IGNORED) or path.attr == "schemas":
            return
        if not path.attr:
            # A bare extension URN: its value holds that extension's attributes.
            for inner, inner_value in flatten(as_object(path.urn, value), urn=path.urn):
                self.set(inner, inner_value, op=op)
            return
        if key in STRING_FIELDS and not path.sub and path.value_filter is None:
            self.changes[STRING_FIELDS[key]] = as_string(path.attr, value)
        elif key == ("", "active") and not path.sub:
            self.changes["is_active"] = as_boolean("active", value)
        elif key == ("", "name"):
            self._set_name(path, value)
        elif key == ("", "emails"):
            self._set_email(path, value, op)
        elif key == (ENTERPRISE, "manager") and path.sub in ("", "value"):
            self.changes["manager_ref"] = reference_value("manager", value)
        elif key == (ENTERPRISE, "manager") and path.sub in ("displayname", "$ref"):
            return  # read-only or derived from value; Entra sends manager.displayName in path-less replaces
        elif key == (LMS, "hiredate") and not path.sub:
            self.changes["hire_date"] = as_date("hireDate", value)
        elif key == (LMS, "customattributes"):
            self._set_custom(path, value, op)
        else:
            raise ScimError(400, f"{path.attr} is not an attribute this service stores", "invalidPath")

    def remove(self, path: PatchPath) -> None:
        key = (path.urn, path.attr)
        if key == ("", "username"):
            raise ScimError(400, "userName is required and cannot be removed", "mutability")
        if key == ("", "active"):
            raise ScimError(400, "active cannot be removed; replace it with false", "mutability")
        if path.urn == "" and path.attr in IGNORED:
            return
        if not path.attr:
            for field in (f for (urn, _), f in STRING_FIELDS.items() if urn == path.urn):
                self.changes[field] = ""
            if path.urn == ENTERPRISE:
                self.changes["manager_ref"] = ""
            if path.urn == LMS:
                self.changes.update(hire_date=None, custom_attributes=self._without_custom_names())
            return
        if key == ("", "emails"):
            current = self.changes.get("email", self.obj.email)
            entry = {"value": current, "type": "work", "primary": True}
            if path.value_filter is None or matches(path.value_filter, entry):
                self.changes["email"] = ""
            return
        if key == ("", "name") and path.sub in IGNORED_NAME_PARTS:
            return
        if key == (LMS, "customattributes"):
            self._set_custom(path, None, "replace")
            return
        self.set(path, None)

    def _set_name(self, path: PatchPath, value: Any) -> None:
        if path.sub:
            if path.sub in IGNORED_NAME_PARTS:
                return
            if path.sub not in NAME_FIELDS:
                raise ScimError(
                    400, f"name.{path.sub} is not an attribute this service stores", "invalidPath"
                )
            self.changes[NAME_FIELDS[path.sub]] = as_string(f"name.{path.sub}", value)
            return
        if value is None:
            self.changes.update({field: "" for field in NAME_FIELDS.values()})
            return
        for sub, sub_value in as_object("name", value).items():
            part = str(sub).lower()
            if part in NAME_FIELDS:
                self.changes[NAME_FIELDS[part]] = as_string(f"name.{sub}", sub_value)

    def _set_email(self, path: PatchPath, value: Any, op: str) -> None:
        if path.value_filter is not None:
            current = self.changes.get("email", self.obj.email)
            entry = {"value": current, "type": "work", "primary": True}
            # Only the work email is stored; an op on another type of email has nothing to change.
            if not matches(path.value_filter, entry, missing_matches=True):
                return
            if path.sub == "value":
                self.changes["email"] = as_string("emails.value", value)
            elif not path.sub:
                self.changes["email"] = _pick_email(value if isinstance(value, list) else [value])
            return
        if path.sub == "value":
            self.changes["email"] = as_string("emails.value", value)
            return
        if path.sub:
            return  # emails.type / emails.primary: the stored email is always the primary work one
        if value is None:
            self.changes["email"] = ""
            return
        self.changes["email"] = _pick_email(value if isinstance(value, list) else [value])

    def _without_custom_names(self) -> dict[str, Any]:
        """The stored custom attributes minus the ones the IdP manages (an admin's others stay)."""
        names = {n.lower() for n in custom_attribute_names()}
        current = self.changes.get("custom_attributes", self.obj.custom_attributes or {})
        return {k: v for k, v in current.items() if k.lower() not in names}

    def _set_custom(self, path: PatchPath, value: Any, op: str) -> None:
        """customAttributes is a complex attribute whose sub-attributes are the configured names."""
        if path.value_filter is not None:
            raise ScimError(
                400, "customAttributes is not multi-valued; use customAttributes.name", "invalidPath"
            )
        current = dict(self.changes.get("custom_attributes", self.obj.custom_attributes or {}))
        if path.sub:
            name = _custom_name(path.sub)
            if name is None:
                raise ScimError(
                    400, f"customAttributes.{path.sub} is not a configured attribute", "invalidPath"
                )
            _store_custom(current, name, value)
            self.changes["custom_attributes"] = current
            return
        if op != "add":
            # replace (or remove) sets the whole complex value: configured names left out are cleared.
            current = self._without_custom_names()
        for key, item in as_object("customAttributes", value).items():
            name = _custom_name(str(key).lower())
            if name is not None:  # names we do not manage are ignored, as RFC 7644 §3.3 allows
                _store_custom(current, name, item)
        self.changes["custom_attributes"] = current


def _custom_name(lowered: str) -> str | None:
    return next((n for n in custom_attribute_names() if n.lower() == lowered), None)


def _store_custom(current: dict[str, Any], name: str, value: Any) -> None:
    text = as_string(f"customAttributes.{name}", value)
    if text:
        current[name] = text
    else:
        current.pop(name, None)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _pick_email(entries: list[Any]) -> str:
    """The one email we store: the primary, else the work one, else the first (Okta sends primary)."""
    valid = [e for e in entries if isinstance(e, dict)]
    if len(valid) != len(entries):
        raise invalid("emails", "each email must be an object with a value")
    lowered = [{str(k).lower(): v for k, v in e.items()} for e in valid]
    with_value = [e for e in lowered if e.get("value")]
    if not with_value:
        return ""
    for rule in (
        lambda e: e.get("primary") in (True, "true", "True"),
        lambda e: str(e.get("type", "")).lower() == "work",
        lambda e: True,
    ):
        chosen = [e for e in with_value if rule(e)]
        if chosen:
            return as_string("emails.value", chosen[0]["value"]).strip()
    return ""
