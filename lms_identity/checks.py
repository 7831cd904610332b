"""System checks of the identity core's production configuration (`manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_audit_hmac_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.AUDIT_HMAC_KEY_IS_SET or settings.DEBUG:
        return []
    return [
        Error(
            "AUDIT_HMAC_KEY is not set: the audit chain is keyed by a key derived from SECRET_KEY, and "
            "rotating SECRET_KEY would make the existing audit trail unverifiable.",
            hint="Set AUDIT_HMAC_KEY to a long random value and keep it for as long as the audit trail.",
            id="lms_identity.E101",
        )
    ]
