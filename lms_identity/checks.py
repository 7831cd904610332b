"""System checks of our own production settings, run by `manage.py check --deploy`."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags


def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Production needs its own FIELD_ENCRYPTION_KEYS (only DEBUG and the tests derive one)."""
    if settings.FIELD_ENCRYPTION_KEYS:
        return []
    return [
        Error(
            "FIELD_ENCRYPTION_KEYS is not set: OIDC client secrets can be neither stored nor read.",
            hint="Set it to a Fernet key (see README, Security).",
            id="lms_identity.E001",
        )
    ]


def check_audit_hmac_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Production needs its own AUDIT_HMAC_KEY: one derived from SECRET_KEY dies with its rotation."""
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


DEPLOY_CHECKS = [(check_encryption_keys, Tags.security), (check_audit_hmac_key, Tags.security)]
