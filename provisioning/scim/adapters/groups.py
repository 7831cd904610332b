"""The SCIM view of a group (RFC 7643 §4.2) over our Group model, on django-scim2's SCIMGroup adapter.

Membership changes are recorded as a plan (add, remove, or replace-all) so a PATCH that touches one
member of a 100,000-member group costs one member, and the view applies the plan through the services."""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django_scim.adapters import SCIMGroup

from lms_identity.models import Group

from ..errors import ScimError
from ..patch_paths import PatchPath, member_ids_in
from ..schemas import GROUP_SCHEMA
from .operations import flatten, iter_operations
from .values import as_string, invalid

IGNORED = frozenset({"id", "meta", "schemas"})


@dataclass
class MemberPlan:
    """What to do to the members, folded from the operations in order."""

    add: set[str] = field(default_factory=set)
    remove: set[str] = field(default_factory=set)
    replace: set[str] | None = None

    def added(self, ids: list[str]) -> None:
        if self.replace is not None:
            self.replace |= set(ids)
        else:
            self.add |= set(ids)
            self.remove -= set(ids)

    def removed(self, ids: list[str]) -> None:
        if self.replace is not None:
            self.replace -= set(ids)
        else:
            self.remove |= set(ids)
            self.add -= set(ids)

    def replaced(self, ids: list[str]) -> None:
        self.replace, self.add, self.remove = set(ids), set(), set()

    @property
    def empty(self) -> bool:
        return self.replace is None and not self.add and not self.remove


class ScimGroupAdapter(SCIMGroup):
    id_field = "pk"
    resource_type = "Group"

    def __init__(
        self,
        obj: Group,
        request: HttpRequest | None = None,
        base_url: str = "",
        member_ids: list[str] | None = None,
    ) -> None:
        super().__init__(obj, request)
        self.base_url = base_url
        self.member_ids = member_ids  # None: members were not loaded (excludedAttributes=members)
        self.changes: dict[str, Any] = {}
        self.plan = MemberPlan()

    @property
    def location(self) -> str:
        return f"{self.base_url}Groups/{self.obj.pk}"

    def to_dict(self) -> dict[str, Any]:
        group: Group = self.obj
        d: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.pk)}
        if group.external_id:
            d["externalId"] = group.external_id
        d["displayName"] = group.display_name
        if self.member_ids:
            d["members"] = [
                {"value": uid, "$ref": f"{self.base_url}Users/{uid}", "type": "User"}
                for uid in self.member_ids
            ]
        d["meta"] = {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": self.location,
            "version": group.etag,
        }
        return d

    def from_dict(self, d: dict[str, Any], *, replacing: bool = False) -> None:
        """Record a POST or PUT body: displayName, externalId and the full member list."""
        if not isinstance(d, dict):
            raise ScimError(400, "The body must be a JSON object", "invalidSyntax")
        self.changes = {"external_id": ""} if replacing else {}
        self.plan = MemberPlan()
        if replacing:
            self.plan.replaced([])
        for path, value in flatten(d, strict=False):
            if path.urn or path.attr in IGNORED or path.attr not in ("displayname", "externalid", "members"):
                continue
            self.set(path, value, op="replace" if replacing else "add")
        if not self.changes.get("display_name"):
            raise invalid("displayName", "is required")

    def handle_operations(self, operations: Any) -> None:
        self.changes = {}
        self.plan = MemberPlan()
        for op, path, value in iter_operations(operations):
            if op == "remove":
                self.remove(path, value)
            else:
                self.set(path, value, op=op)

    def set(self, path: PatchPath, value: Any, op: str = "replace") -> None:
        if path.urn or path.attr in IGNORED:
            if path.urn:
                raise ScimError(400, "Groups have no extension attributes here", "invalidPath")
            return  # Okta's group resync sends the group's id beside displayName
        if path.attr == "displayname" and not path.sub and path.value_filter is None:
            self.changes["display_name"] = as_string("displayName", value)
        elif path.attr == "externalid" and not path.sub and path.value_filter is None:
            self.changes["external_id"] = as_string("externalId", value)
        elif path.attr == "members" and not path.sub and path.value_filter is None:
            ids = _member_values(value)
            if op == "add":
                self.plan.added(ids)
            else:
                self.plan.replaced(ids)
        else:
            raise ScimError(400, f"{path.attr} is not an attribute this service stores", "invalidPath")

    def remove(self, path: PatchPath, value: Any) -> None:
        if path.attr == "displayname":
            raise ScimError(400, "displayName is required and cannot be removed", "mutability")
        if path.attr == "externalid" and not path.sub:
            self.changes["external_id"] = ""
        elif path.attr == "members" and not path.sub:
            if path.value_filter is not None:
                self.plan.removed(member_ids_in(path.value_filter))
            elif value is None:
                self.plan.replaced([])  # RFC 7644 §3.5.2.2: remove every member
            else:
                self.plan.removed(_member_values(value))  # Okta and Entra: path "members" + a value list
        elif path.attr in IGNORED:
            return
        else:
            raise ScimError(400, f"{path.attr} is not an attribute this service stores", "invalidPath")


def _member_values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        if isinstance(item, dict):
            lowered = {str(k).lower(): v for k, v in item.items()}
            member = lowered.get("value")
        else:
            member = item
        if not isinstance(member, str) or not member.strip():
            raise invalid("members", "each member needs a value naming a user id")
        ids.append(member.strip())
    return ids
