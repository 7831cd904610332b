"""What of a SCIM request or answer may be kept in the request log: its shape, never its values.

Attribute names, PATCH operations and paths, schemas, `active` and our own resource ids stay, because they
are what explains a failure; every other value (names, emails, external ids, filters' operands, tokens,
passwords, anything an IdP may add) becomes "[redacted]". Free text from our answers (`detail`) and the
query string keep their words but lose anything quoted, which is where values are echoed.
"""

import json
import re
from typing import Any

REDACTED = "[redacted]"
# Keys whose values are protocol words or our own ids, never a person's data or a secret.
KEPT_VALUES = {
    *("schemas", "op", "path", "active", "id", "resourceType", "scimType", "status", "type", "primary"),
    *("totalResults", "itemsPerPage", "startIndex", "version", "location"),
}
QUOTED = re.compile(r"""("[^"]*"|'[^']*'|[^\s"',;]+@[^\s"',;]+)""")  # quoted parts, and email-like words
MAX_TEXT = 500


# Deeper than any SCIM body goes (the views refuse more than json_input.MAX_DEPTH): the rest is one mark,
# so a body nested hundreds deep, which the log still records, cannot exhaust the stack.
MAX_DEPTH = 40


def redact_json(value: Any, key: str = "", depth: int = 0) -> Any:
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {_key(k): redact_json(v, k, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(item, key, depth + 1) for item in value]
    if key in KEPT_VALUES and (value is None or isinstance(value, bool | int | float | str)):
        return redact_text(value) if isinstance(value, str) else value
    if value is None or isinstance(value, bool):
        return value
    return REDACTED


def _key(key: str) -> str:
    # Attribute names stay; a key no IdP would send (control characters, lone surrogates, NUL, which
    # PostgreSQL's jsonb refuses) is replaced, and a long one cut.
    return key[:100] if key.isprintable() else "[unprintable key]"


def redact_body(raw: bytes) -> Any:
    """The redacted JSON of a body, or a note of what it was when it is not JSON."""
    if not raw:
        return None
    try:
        return redact_json(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        return {"unparsed": f"{len(raw)} bytes, not JSON"}


def redact_text(text: str) -> str:
    """Free text with every quoted part replaced and unprintable characters (NUL, lone surrogates) as "?"."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in text[: 2 * MAX_TEXT])
    return QUOTED.sub('"' + REDACTED + '"', printable)[:MAX_TEXT]
