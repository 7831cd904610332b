"""System checks of our own settings, run by `manage.py check --deploy`."""

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


DEPLOY_CHECKS = [(check_encryption_keys, Tags.security)]
