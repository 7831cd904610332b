"""`attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): trim a resource to what was asked."""

import copy
from dataclasses import dataclass
from typing import Any

from .schemas import GROUP_SCHEMA, USER_EXTENSIONS, USER_SCHEMA

ALWAYS_RETURNED = frozenset({"id", "schemas"})
CORE_URNS = (USER_SCHEMA.lower(), GROUP_SCHEMA.lower())
EXTENSION_URNS = tuple(u.lower() for u in USER_EXTENSIONS)


@dataclass(frozen=True)
class Selection:
    attributes: tuple[tuple[str, str, str], ...] = ()
    excluded: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, attributes: str | list[str] | None, excluded: str | list[str] | None) -> "Selection":
        return cls(_parse_list(attributes), _parse_list(excluded))

    def wants(self, attr: str) -> bool:
        """Whether the top-level core attribute (lower-case) will be in the response at all."""
        if self.attributes:
            return any(urn == "" and name == attr for urn, name, _ in self.attributes)
        return not any(urn == "" and name == attr and not sub for urn, name, sub in self.excluded)

    def names(self, urn: str, attr: str, sub: str) -> bool:
        """Whether `attributes` names this attribute or its parent: what makes a returned "request"
        sub-attribute appear (RFC 7643 §7)."""
        return any(a == (urn, attr, "") or a == (urn, attr, sub) for a in self.attributes)

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        if self.attributes:
            out = {k: v for k, v in resource.items() if k.lower() in ALWAYS_RETURNED}
            for urn, name, sub in self.attributes:
                _copy(resource, out, urn, name, sub)
            return _fix_schemas(out)
        if self.excluded:
            out = copy.deepcopy(resource)
            for urn, name, sub in self.excluded:
                _drop(out, urn, name, sub)
            return _fix_schemas(out)
        return resource


def _fix_schemas(resource: dict[str, Any]) -> dict[str, Any]:
    """`schemas` lists the extensions the trimmed resource still carries (RFC 7643 §3)."""
    schemas = resource.get("schemas")
    if isinstance(schemas, list):
        resource["schemas"] = [s for s in schemas if s.lower() in CORE_URNS or _key(resource, s.lower())]
    return resource


def _parse_list(value: str | list[str] | None) -> tuple[tuple[str, str, str], ...]:
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    parsed = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        lowered = text.lower()
        urn = ""
        for known in (*EXTENSION_URNS, *CORE_URNS):
            if lowered == known:
                text, urn = "", known
                break
            if lowered.startswith(known + ":"):
                text, urn = text[len(known) + 1 :], known
                break
        if urn in CORE_URNS:
            urn = ""
        name, _, sub = text.partition(".")
        parsed.append((urn, name.lower(), sub.lower()))
    return tuple(parsed)


def _key(d: dict[str, Any], name: str) -> str | None:
    for key in d:
        if key.lower() == name:
            return key
    return None


def _container(resource: dict[str, Any], urn: str) -> dict[str, Any] | None:
    if not urn:
        return resource
    key = _key(resource, urn)
    value = resource.get(key) if key else None
    return value if isinstance(value, dict) else None


def _copy(resource: dict[str, Any], out: dict[str, Any], urn: str, name: str, sub: str) -> None:
    source = _container(resource, urn)
    if source is None:
        return
    target = out
    if urn:
        urn_key = _key(resource, urn) or urn
        target = out.setdefault(urn_key, {})
        if not name:
            target.update(copy.deepcopy(source))
            return
    key = _key(source, name)
    if key is None:
        return
    value = source[key]
    if not sub:
        target[key] = copy.deepcopy(value)
    elif isinstance(value, dict):
        sub_key = _key(value, sub)
        if sub_key is not None:
            target.setdefault(key, {})[sub_key] = copy.deepcopy(value[sub_key])
    elif isinstance(value, list):
        picked = [
            {k: v for k, v in item.items() if k.lower() == sub} for item in value if isinstance(item, dict)
        ]
        target[key] = [p for p in picked if p]


def _drop(out: dict[str, Any], urn: str, name: str, sub: str) -> None:
    if urn and not name:
        key = _key(out, urn)
        if key:
            del out[key]
        return
    container = _container(out, urn)
    if container is None:
        return
    key = _key(container, name)
    if key is None or (not urn and key.lower() in ALWAYS_RETURNED):
        return
    if not sub:
        del container[key]
        return
    value = container[key]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and (sub_key := _key(item, sub)):
            del item[sub_key]
