"""What every edge checks in a parsed JSON document before any of it reaches a service or the
database: how deep it nests and whether each of its strings (keys included) can be stored.

JSON may spell a lone surrogate (`"\\ud800"`), which Python decodes into a str that UTF-8 cannot encode:
PostgreSQL refuses it and the SQLite driver raises, both as a 500 deep in a write. NUL passes UTF-8 but
PostgreSQL text cannot hold it. Checking the whole document once at the edge refuses both before
anything is written, with the path of the first offender."""

import json
import re
from typing import Any

from .errors import NestedTooDeep, UnstorableText

# SCIM and admin API bodies nest a handful of levels; a deeper one is an attack on recursive code
# (the serializers, deepcopy, the JSON encoder), which would otherwise end in a RecursionError.
MAX_DEPTH = 32
_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Whether the database can store the text as it is."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json_input(document: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise NestedTooDeep beyond `max_depth` levels, or UnstorableText naming the first string (or key)
    the database could not store. Iterative, so a deep document cannot exhaust the stack here."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                raise UnstorableText(path or "value")
        elif isinstance(value, dict | list):
            if depth >= max_depth:
                raise NestedTooDeep(f"the document nests deeper than {max_depth} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(key, str) and not is_storable(key):
                        raise UnstorableText(f"a member name of {path}" if path else "a member name")
                    stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
            else:
                stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


class StoredJSONDecoder(json.JSONDecoder):
    """Reads JSON columns so that what an older release stored stays displayable: SQLite keeps a
    lone-surrogate escape that PostgreSQL's jsonb refuses, and a str holding one breaks any page
    that shows it (the response cannot be encoded). Such characters read back as U+FFFD."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        value = super().decode(s, *args, **kwargs)
        if _LONE_SURROGATE_ESCAPE.search(s) is None:
            return value
        return _replace_unencodable(value)


def _replace_unencodable(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_unencodable(v) for v in value]
    if isinstance(value, dict):
        return {_replace_unencodable(k): _replace_unencodable(v) for k, v in value.items()}
    return value
