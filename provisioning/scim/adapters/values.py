"""Coercing the values IdPs send into what the core services accept."""

from datetime import date
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from ..errors import ScimError

MAX_STRING = 10_000


def invalid(attr: str, message: str) -> ScimError:
    return ScimError(400, f"{attr}: {message}", "invalidValue")


def as_string(attr: str, value: Any) -> str:
    """A string attribute; null clears it. Numbers are accepted as their text (employeeNumber 1234)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(attr, "must be a string")
    text = str(value)
    if len(text) > MAX_STRING:
        raise invalid(attr, "is too long")
    return text


def as_boolean(attr: str, value: Any) -> bool:
    # Entra sends "True"/"False" as strings (its documented PATCH bodies); RFC 7643 says JSON booleans.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(attr, "must be true or false")


def as_date(attr: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    parsed = _date_of(value) if isinstance(value, str) else None
    if parsed is None:
        raise invalid(attr, "must be a date as YYYY-MM-DD")
    return parsed


def _date_of(value: str) -> date | None:
    """YYYY-MM-DD, or the (local) date of an RFC 3339 timestamp; None when it names no real moment
    (Django's parsers raise ValueError for a well-formed impossible one: month 13, hour 25)."""
    try:
        if len(value) == 10:
            return parse_date(value)
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment.date() if moment is not None else None


def as_object(attr: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(attr, "must be a JSON object")
    return value


def reference_value(attr: str, value: Any) -> str:
    """`{"value": "id"}` or a plain `"id"` (Okta and Entra both send either for manager), or a one-item
    list of those (Entra's documented manager PATCH wraps it in a list)."""
    if isinstance(value, list):
        if len(value) > 1:
            raise invalid(attr, "takes a single reference")
        value = value[0] if value else None
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        value = lowered.get("value")
    return as_string(attr, value).strip()
