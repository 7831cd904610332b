"""Reading a PatchOp body and path-less values into (op, path, value) steps both adapters apply."""

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from ..errors import ScimError
from ..patch_paths import KNOWN_URNS, PatchPath, parse_path
from ..schemas import GROUP_SCHEMA, USER_SCHEMA

OPS = ("add", "remove", "replace")


def iter_operations(operations: Any) -> Iterator[tuple[str, PatchPath, Any]]:
    """Each operation as (op, path, value). The op is case-insensitive (Entra sends "Replace"); an
    add or replace without a path spreads its object's keys, which may be dotted or URN-qualified
    paths (Okta, Entra). A remove without a path has no target (RFC 7644 §3.5.2.2)."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list", "invalidSyntax")
    if len(operations) > settings.SCIM_MAX_OPERATIONS:
        raise ScimError(400, f"At most {settings.SCIM_MAX_OPERATIONS} operations per request", "tooMany")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object", "invalidSyntax")
        fields = {str(k).lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in OPS:
            raise ScimError(400, "op must be add, remove or replace", "invalidSyntax")
        op = op.lower()
        path, value = fields.get("path"), fields.get("value")
        if path is None or (isinstance(path, str) and not path.strip()):
            if op == "remove":
                raise ScimError(400, "A remove operation needs a path", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, "Without a path, value must be an object of attributes", "invalidValue")
            for inner_path, inner_value in flatten(value):
                yield op, inner_path, inner_value
            continue
        if op != "remove" and "value" not in fields:
            raise ScimError(400, f"An {op} operation needs a value", "invalidValue")
        yield op, parse_path(path), value


def flatten(value: dict[str, Any], *, urn: str = "", strict: bool = True) -> Iterator[tuple[PatchPath, Any]]:
    """The (path, value) pairs an object of attributes stands for. Keys may be plain (`title`),
    dotted (`name.givenName`), URN-qualified (`urn:...:enterprise:2.0:User:department`) or an
    extension URN holding an object of that extension's attributes."""
    known = {u.lower() for u in KNOWN_URNS}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ScimError(400, "Attribute names must be strings", "invalidSyntax")
        lowered = key.lower()
        if lowered in known and isinstance(item, dict):
            yield from flatten(item, urn=_extension(lowered), strict=strict)
            continue
        if lowered in known:
            continue  # "schemas" style URN keys with non-object values carry nothing to store
        try:
            path = parse_path(key if lowered.startswith("urn:") or not urn else f"{urn}:{key}")
        except ScimError:
            if strict:
                raise
            continue
        yield path, item


def _extension(urn: str) -> str:
    return "" if urn in (USER_SCHEMA.lower(), GROUP_SCHEMA.lower()) else urn
