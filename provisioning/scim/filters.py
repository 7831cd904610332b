"""SCIM filters (RFC 7644 §3.4.2.2) translated to Django Q objects.

scim2-filter-parser parses; this module walks its syntax tree and builds ORM lookups, so filters run on
every database Django supports and never build SQL by hand. An attribute we do not know, an operator
that makes no sense for the attribute's type or a value of the wrong type is a 400 invalidFilter: never
a silently dropped clause (which would widen the result)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from lms_identity.json_input import is_storable

from .errors import ScimError
from .schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, LMS_SCHEMA, USER_SCHEMA, custom_attribute_names

MAX_FILTER_LENGTH = 2000
NOTHING = Q(pk__in=[])
EVERYTHING = Q()

STRING, CI_STRING, BOOLEAN, DATETIME, ID, CONSTANT, JSON_KEY = (
    "string",
    "ci",
    "boolean",
    "datetime",
    "id",
    "constant",
    "json_key",
)
CUSTOM_PREFIX = f"{LMS_SCHEMA.lower()}:customattributes."


@dataclass(frozen=True)
class Field:
    """Where a SCIM attribute lives in the ORM, and how its values compare."""

    kind: str
    lookup: str = ""
    constant: Any = None
    # For a constant attribute of a multi-valued one (emails.type): what must hold for the value to exist.
    exists: Q | None = None


EMAIL_PRESENT = ~Q(email="")
USER_FIELDS: dict[str, Field] = {
    "id": Field(ID, "pk"),
    "username": Field(CI_STRING, "user_name"),
    "externalid": Field(STRING, "external_id"),
    "displayname": Field(CI_STRING, "display_name"),
    "nickname": Field(STRING, "nick_name"),
    "title": Field(STRING, "title"),
    "usertype": Field(STRING, "user_type"),
    "preferredlanguage": Field(STRING, "preferred_language"),
    "locale": Field(STRING, "locale"),
    "timezone": Field(STRING, "timezone"),
    "active": Field(BOOLEAN, "is_active"),
    "name.givenname": Field(STRING, "given_name"),
    "name.familyname": Field(STRING, "family_name"),
    "name.middlename": Field(STRING, "middle_name"),
    "emails": Field(CI_STRING, "email"),
    "emails.value": Field(CI_STRING, "email"),
    "emails.type": Field(CONSTANT, constant="work", exists=EMAIL_PRESENT),
    "emails.primary": Field(CONSTANT, constant=True, exists=EMAIL_PRESENT),
    "department": Field(STRING, "department"),
    "meta.lastmodified": Field(DATETIME, "updated_at"),
    "meta.created": Field(DATETIME, "created_at"),
    f"{ENTERPRISE_SCHEMA.lower()}:employeenumber": Field(STRING, "employee_number"),
    f"{ENTERPRISE_SCHEMA.lower()}:costcenter": Field(STRING, "cost_center"),
    f"{ENTERPRISE_SCHEMA.lower()}:organization": Field(STRING, "organization"),
    f"{ENTERPRISE_SCHEMA.lower()}:division": Field(STRING, "division"),
    f"{ENTERPRISE_SCHEMA.lower()}:department": Field(STRING, "department"),
    f"{ENTERPRISE_SCHEMA.lower()}:manager.value": Field(ID, "manager_id"),
    f"{LMS_SCHEMA.lower()}:hiredate": Field(DATETIME, "hire_date"),
}
GROUP_FIELDS: dict[str, Field] = {
    "id": Field(ID, "pk"),
    "displayname": Field(CI_STRING, "display_name"),
    "externalid": Field(STRING, "external_id"),
    "meta.lastmodified": Field(DATETIME, "updated_at"),
    "meta.created": Field(DATETIME, "created_at"),
}
CORE_SCHEMAS = {USER_SCHEMA.lower(), GROUP_SCHEMA.lower()}


def parse_filter(text: str) -> ast.Filter:
    """The syntax tree of a filter, or a 400 invalidFilter."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_FILTER_LENGTH:
        raise ScimError(400, "The filter is empty or too long", "invalidFilter")
    if not is_storable(text):
        # A lone surrogate or NUL can match nothing stored, and the database driver cannot even send it.
        raise ScimError(400, "The filter contains a character that cannot be stored", "invalidFilter")
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    # The lexer raises ValueError on an illegal character; the parser its own error, and on a few
    # truncated inputs (a dangling operator) an AttributeError or IndexError from inside sly.
    except (SCIMParserError, ValueError, AttributeError, IndexError, TypeError, RecursionError):
        raise ScimError(400, "The filter is not valid SCIM filter syntax", "invalidFilter") from None
    if not isinstance(tree, ast.Filter):
        raise ScimError(400, "The filter is not valid SCIM filter syntax", "invalidFilter")
    return tree


def filter_to_q(text: str, fields: dict[str, Field]) -> Q:
    """A Q object selecting exactly what the filter selects, for the given attribute table."""
    return _Translator(fields).node(parse_filter(text))


def attribute_key(path: ast.AttrPath, prefix: str = "") -> str:
    """`name.givenName` -> `name.givenname`; an extension URN stays as a lower-case prefix."""
    name = path.attr_name
    if not isinstance(name, str):
        raise ScimError(400, "A value filter cannot be nested here", "invalidFilter")
    key = f"{prefix}{name}".lower()
    if path.sub_attr is not None:
        key += "." + str(path.sub_attr.value).lower()
    uri = (path.uri or "").lower()
    if uri and uri not in CORE_SCHEMAS:
        key = f"{uri}:{key}"
    return key


class _Translator:
    def __init__(self, fields: dict[str, Field]) -> None:
        self.fields = fields

    def node(self, node: Any, prefix: str = "") -> Q:
        if isinstance(node, ast.Filter):
            if node.namespace is not None:
                # emails[type eq "work" and value co "@example.com"]
                q = self.value_path(node.namespace, node.expr)
            else:
                q = self.node(node.expr, prefix)
            return ~q if node.negated else q
        if isinstance(node, ast.LogExpr):
            left, right = self.node(node.expr1, prefix), self.node(node.expr2, prefix)
            return left & right if node.op.lower() == "and" else left | right
        if isinstance(node, ast.AttrExpr):
            path = node.attr_path
            if isinstance(path.attr_name, ast.Filter):
                # emails[type eq "work"].value eq "x": the bracket must hold and the sub-attribute compare.
                inner = path.attr_name
                selected = self.value_path(inner.namespace, inner.expr, with_sub=False)
                key = attribute_key(inner.namespace)
                return selected & self.compare(self.field(key), node.value, node.comp_value)
            return self.compare(self.field(attribute_key(path, prefix)), node.value, node.comp_value)
        raise ScimError(400, "The filter is not valid SCIM filter syntax", "invalidFilter")

    def value_path(self, namespace: ast.AttrPath, expr: Any, with_sub: bool = True) -> Q:
        if not isinstance(namespace, ast.AttrPath) or not isinstance(namespace.attr_name, str):
            raise ScimError(400, "The filter is not valid SCIM filter syntax", "invalidFilter")
        if with_sub and namespace.sub_attr is not None:
            raise ScimError(400, "A value filter is followed by a comparison", "invalidFilter")
        uri = (namespace.uri or "").lower()
        prefix = namespace.attr_name + "."
        if uri and uri not in CORE_SCHEMAS:
            prefix = f"{uri}:{prefix}"
        return self.node(expr, prefix)

    def field(self, key: str) -> Field:
        found = self.fields.get(key)
        if found is None and key.startswith(CUSTOM_PREFIX) and self.fields is USER_FIELDS:
            name = next((n for n in custom_attribute_names() if n.lower() == key[len(CUSTOM_PREFIX) :]), None)
            found = Field(JSON_KEY, name) if name else None
        if found is None:
            raise ScimError(400, "The filter names an attribute that cannot be filtered on", "invalidFilter")
        return found

    def compare(self, field: Field, op: str, comp: ast.CompValue | None) -> Q:
        op = op.lower()
        raw = None if comp is None else comp.value
        if op == "pr":
            return _present(field)
        if comp is None:
            raise ScimError(400, f"The operator {op} needs a value", "invalidFilter")
        compare = _COMPARERS[field.kind]
        return compare(field, op, raw)


def _present(field: Field) -> Q:
    if field.kind == CONSTANT:
        return field.exists or EVERYTHING
    if field.kind in (STRING, CI_STRING):
        return ~Q(**{field.lookup: ""})
    if field.kind in (DATETIME, ID):
        return Q(**{f"{field.lookup}__isnull": False})
    if field.kind == JSON_KEY:
        return Q(custom_attributes__has_key=field.lookup)
    return EVERYTHING


def _unsupported(op: str) -> ScimError:
    return ScimError(400, f"The operator {op} does not apply to this attribute", "invalidFilter")


def _compare_string(field: Field, op: str, raw: Any) -> Q:
    ci = field.kind == CI_STRING
    if raw is None or raw == "null":
        if op == "eq":
            return Q(**{field.lookup: ""})
        if op == "ne":
            return ~Q(**{field.lookup: ""})
        raise _unsupported(op)
    value = str(raw)
    if op in ("eq", "ne"):
        # Lower(field) = Lower(value) uses the case-insensitive unique index (userName, email), and the
        # database lowers both sides alike (Unicode-aware on SQLite too: lms_identity.sqlite_connections).
        q = Q(Exact(Lower(field.lookup), Lower(Value(value)))) if ci else Q(**{field.lookup: value})
        return q if op == "eq" else ~q
    suffix = {"co": "contains", "sw": "startswith", "ew": "endswith"}.get(op)
    if suffix:
        return Q(**{f"{field.lookup}__{'i' if ci else ''}{suffix}": value})
    if op in ("gt", "ge", "lt", "le"):
        lookup = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}[op]
        return Q(**{f"{field.lookup}__{lookup}": value})
    raise _unsupported(op)


def _compare_boolean(field: Field, op: str, raw: Any) -> Q:
    text = str(raw).lower()
    if text not in ("true", "false") or op not in ("eq", "ne"):
        raise ScimError(400, "A boolean compares only with eq or ne to true or false", "invalidFilter")
    q = Q(**{field.lookup: text == "true"})
    return q if op == "eq" else ~q


def _compare_datetime(field: Field, op: str, raw: Any) -> Q:
    value = _timestamp(raw)
    if field.lookup == "hire_date":
        value_or_date: datetime | Any = value.date()
    else:
        value_or_date = value
    lookups = {"eq": "exact", "ne": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
    if op not in lookups:
        raise _unsupported(op)
    q = Q(**{f"{field.lookup}__{lookups[op]}": value_or_date})
    return ~q if op == "ne" else q


def _timestamp(raw: Any) -> datetime:
    """An RFC 3339 timestamp that exists and stays inside what Python and the databases hold in UTC."""
    try:
        value = parse_datetime(str(raw)) if raw is not None else None
    except ValueError:  # the right shape, an impossible moment: month 13, day 45, hour 25
        value = None
    if value is None:
        raise ScimError(400, "A dateTime compares with an RFC 3339 timestamp", "invalidFilter")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
    except OverflowError:
        raise ScimError(400, "The dateTime is outside the range of dates", "invalidFilter") from None
    return value


def _compare_id(field: Field, op: str, raw: Any) -> Q:
    if op not in ("eq", "ne"):
        raise _unsupported(op)
    try:
        q = Q(**{field.lookup: uuid.UUID(str(raw))})
    except ValueError:
        q = NOTHING  # no resource has an id that is not a UUID
    return q if op == "eq" else ~q


def _compare_constant(field: Field, op: str, raw: Any) -> Q:
    constant = field.constant
    if isinstance(constant, bool):
        text = str(raw).lower()
        if text not in ("true", "false") or op not in ("eq", "ne"):
            raise ScimError(400, "A boolean compares only with eq or ne to true or false", "invalidFilter")
        holds = (constant == (text == "true")) == (op == "eq")
    else:
        a, b = str(constant).lower(), str(raw).lower()
        checks: dict[str, Callable[[], bool]] = {
            "eq": lambda: a == b,
            "ne": lambda: a != b,
            "co": lambda: b in a,
            "sw": lambda: a.startswith(b),
            "ew": lambda: a.endswith(b),
        }
        if op not in checks:
            raise _unsupported(op)
        holds = checks[op]()
    return (field.exists or EVERYTHING) if holds else NOTHING


def _compare_json_key(field: Field, op: str, raw: Any) -> Q:
    """A custom attribute: exact string comparison only (its values are stored as JSON strings)."""
    if op not in ("eq", "ne") or raw is None:
        raise _unsupported(op)
    q = Q(custom_attributes__has_key=field.lookup) & Q(**{f"custom_attributes__{field.lookup}": str(raw)})
    return q if op == "eq" else ~q


_COMPARERS: dict[str, Callable[[Field, str, Any], Q]] = {
    JSON_KEY: _compare_json_key,
    STRING: _compare_string,
    CI_STRING: _compare_string,
    BOOLEAN: _compare_boolean,
    DATETIME: _compare_datetime,
    ID: _compare_id,
    CONSTANT: _compare_constant,
}
