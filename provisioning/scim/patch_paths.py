"""PATCH paths (RFC 7644 §3.5.2): `userName`, `name.givenName`, `emails[type eq "work"].value`,
`members[value eq "id"]`, `urn:...:enterprise:2.0:User:manager`, or a bare extension URN."""

from dataclasses import dataclass
from typing import Any

from scim2_filter_parser import ast

from .errors import ScimError
from .filters import parse_filter
from .schemas import GROUP_SCHEMA, USER_EXTENSIONS, USER_SCHEMA

KNOWN_URNS = (USER_SCHEMA, GROUP_SCHEMA, *USER_EXTENSIONS)
MAX_PATH_LENGTH = 1000


@dataclass(frozen=True)
class PatchPath:
    """A parsed path; names are lower-case because SCIM attribute names are case-insensitive."""

    urn: str  # "" for the core schema, else the extension URN (lower-case)
    attr: str  # "" when the path is a bare extension URN
    value_filter: ast.Filter | None = None
    sub: str = ""


def parse_path(text: Any) -> PatchPath:
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PATH_LENGTH:
        raise ScimError(400, "The path is not a valid attribute path", "invalidPath")
    text = text.strip()
    urn = ""
    lowered = text.lower()
    for known in KNOWN_URNS:
        if lowered == known.lower():
            return PatchPath("" if known in (USER_SCHEMA, GROUP_SCHEMA) else known.lower(), "")
        if lowered.startswith(known.lower() + ":"):
            urn = "" if known in (USER_SCHEMA, GROUP_SCHEMA) else known.lower()
            text = text[len(known) + 1 :]
            break
    else:
        if lowered.startswith("urn:"):
            raise ScimError(400, "The path names a schema this service does not implement", "invalidPath")
    value_filter = None
    sub = ""
    if "[" in text:
        head, _, rest = text.partition("[")
        inner, closing, tail = rest.rpartition("]")
        if not closing or not inner.strip():
            raise ScimError(400, "The path's value filter is not closed", "invalidPath")
        value_filter = parse_filter(inner)
        if tail:
            if not tail.startswith(".") or not _is_name(tail[1:]):
                raise ScimError(400, "The path is not a valid attribute path", "invalidPath")
            sub = tail[1:].lower()
        attr = head
    else:
        attr, _, sub = text.partition(".")
        sub = sub.lower()
        if sub and not _is_name(sub):
            raise ScimError(400, "The path is not a valid attribute path", "invalidPath")
    if not _is_name(attr):
        raise ScimError(400, "The path is not a valid attribute path", "invalidPath")
    return PatchPath(urn, attr.lower(), value_filter, sub)


def _is_name(text: str) -> bool:
    return (
        bool(text) and (text[0].isalpha() or text[0] == "$") and all(c.isalnum() or c in "_-$" for c in text)
    )


def matches(node: Any, item: dict[str, Any], *, missing_matches: bool = False) -> bool:
    """Whether a value filter selects this element of a multi-valued attribute (keys lower-case).

    With missing_matches, a comparison on a sub-attribute the element lacks counts as a match: an add or
    replace on `emails[type eq "work"].value` creates the work email when there is none (Entra)."""
    if isinstance(node, ast.Filter):
        if node.namespace is not None:
            raise ScimError(400, "Value filters do not nest", "invalidPath")
        result = matches(node.expr, item, missing_matches=missing_matches)
        return not result if node.negated else result
    if isinstance(node, ast.LogExpr):
        left = matches(node.expr1, item, missing_matches=missing_matches)
        right = matches(node.expr2, item, missing_matches=missing_matches)
        return left and right if node.op.lower() == "and" else left or right
    if isinstance(node, ast.AttrExpr) and isinstance(node.attr_path.attr_name, str):
        name = node.attr_path.attr_name.lower()
        op = node.value.lower()
        actual = item.get(name)
        if op == "pr":
            return actual not in (None, "")
        if actual in (None, ""):
            return missing_matches
        return _compare(op, actual, None if node.comp_value is None else node.comp_value.value)
    raise ScimError(400, "The path's value filter is not supported", "invalidPath")


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool):
        wanted = str(expected).lower() == "true"
        return (actual == wanted) if op == "eq" else (actual != wanted) if op == "ne" else False
    a, b = str(actual).lower(), str(expected).lower()
    return {
        "eq": a == b,
        "ne": a != b,
        "co": b in a,
        "sw": a.startswith(b),
        "ew": a.endswith(b),
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
    }.get(op, False)


def member_ids_in(node: Any) -> list[str]:
    """The ids a `members[value eq "a" or value eq "b"]` filter names; anything else is invalidPath."""
    if isinstance(node, ast.Filter) and not node.negated and node.namespace is None:
        return member_ids_in(node.expr)
    if isinstance(node, ast.LogExpr) and node.op.lower() == "or":
        return member_ids_in(node.expr1) + member_ids_in(node.expr2)
    if (
        isinstance(node, ast.AttrExpr)
        and node.value.lower() == "eq"
        and isinstance(node.attr_path.attr_name, str)
        and node.attr_path.attr_name.lower() == "value"
        and node.comp_value is not None
    ):
        return [str(node.comp_value.value)]
    raise ScimError(400, 'Members are selected only by value, as members[value eq "id"]', "invalidPath")
