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
    if isinstance(value, str):
        try:
            parsed = parse_date(value[:10]) if len(value) >= 10 else None
            if parsed is None and (moment := parse_datetime(value)) is not None:
                parsed = moment.date()
        except ValueError:
            parsed = None
        if parsed is not None and (len(value) == 10 or parse_datetime(value) is not None):
            return parsed
    raise invalid(attr, "must be a date as YYYY-MM-DD")


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
