"""What a caller may write on a person, and the checks every written value passes first."""

import json
from datetime import date
from typing import Any

from django.db import models

from lms_identity.errors import InvalidValue
from lms_identity.idp_attributes import IDP_FIELDS
from lms_identity.models import User

# Attributes a caller may set: the IdP's (the manager goes by reference, MANAGER_KEY). Everything else on
# the model is owned by the services.
WRITABLE_FIELDS = frozenset(IDP_FIELDS) - {"manager"}
MANAGER_KEY = "manager_ref"
CUSTOM_ATTRIBUTES_MAX_BYTES = 64 * 1024


def check_attributes(attrs: dict[str, Any]) -> None:
    """Raise InvalidValue for the first attribute that cannot be set or stored as given."""
    unknown = set(attrs) - WRITABLE_FIELDS
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be set")
    for name, value in attrs.items():
        field = User._meta.get_field(name)
        if isinstance(field, models.CharField):
            if not isinstance(value, str):
                raise InvalidValue(name, f"{name} must be a string")
            if field.max_length is not None and len(value) > field.max_length:
                raise InvalidValue(name, f"{name} is longer than {field.max_length} characters")
            if "\x00" in value:
                raise InvalidValue(name, f"{name} contains a NUL character")
    if "user_name" in attrs and not attrs["user_name"].strip():
        raise InvalidValue("user_name", "userName is required")
    if "email" in attrs and attrs["email"] and "@" not in attrs["email"]:
        raise InvalidValue("email", "email is not an address")
    if "is_active" in attrs and not isinstance(attrs["is_active"], bool):
        raise InvalidValue("is_active", "active must be true or false")
    if "hire_date" in attrs and not (attrs["hire_date"] is None or isinstance(attrs["hire_date"], date)):
        raise InvalidValue("hire_date", "hire date must be a date")
    if "custom_attributes" in attrs:
        _check_custom_attributes(attrs["custom_attributes"])


def _check_custom_attributes(value: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidValue("custom_attributes", "custom attributes must be an object")
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        raise InvalidValue("custom_attributes", "custom attributes must be plain JSON") from None
    # PostgreSQL's jsonb cannot hold a NUL character; refuse it here rather than fail in the database.
    if "\\u0000" in text:
        raise InvalidValue("custom_attributes", "custom attributes contain a NUL character")
    if len(text) > CUSTOM_ATTRIBUTES_MAX_BYTES:
        raise InvalidValue("custom_attributes", "custom attributes are too large")
