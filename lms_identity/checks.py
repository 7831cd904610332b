"""System checks of our own: production settings (run by `manage.py check --deploy`), and admin power
the IdP did not grant (a database check: `manage.py migrate` and `manage.py check --database default`)."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning
from django.db import DatabaseError
from django.db.models import Exists, OuterRef, Q

from lms_identity.models import BreakGlassAccount, SubjectLink, User

NAMES_SHOWN = 10


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


def check_admin_power_not_granted(
    *, app_configs: Any, databases: Sequence[str] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about every account but the break-glass one that holds admin power no IdP granted: a
    superuser (never granted by an IdP), an auth group member (nothing hands out auth groups), or staff or
    a permission on an account no IdP knows. Role-mapped people are made right at each sign-in and by the
    reconciler; these are what an operator made by hand (`createsuperuser`, the shell)."""
    messages: list[CheckMessage] = []
    for alias in databases or []:
        try:
            names = list_hand_made_admin_power(alias)
        except DatabaseError:  # before the first migrate: nothing to look at yet
            continue
        if names:
            shown = ", ".join(names[:NAMES_SHOWN]) + (" …" if len(names) > NAMES_SHOWN else "")
            messages.append(
                Warning(
                    f"{len(names)} account(s) hold admin power the IdP did not grant: {shown}.",
                    hint=(
                        "Only the break-glass account may hold power that no role mapping gave. Remove "
                        "these accounts or their superuser/staff flags, permissions and groups (README, "
                        "Admin access); people an IdP knows lose them at their next sign-in or reconcile."
                    ),
                    id="lms_identity.W201",
                )
            )
    return messages


def list_hand_made_admin_power(alias: str = "default") -> list[str]:
    """The user names of the accounts check_admin_power_not_granted warns about, sorted."""
    unknown_to_idps = Q(connection__isnull=True) & ~Exists(SubjectLink.objects.filter(user=OuterRef("pk")))
    hand_made = (
        Q(is_superuser=True)
        | Q(groups__isnull=False)
        | (unknown_to_idps & (Q(is_staff=True) | Q(user_permissions__isnull=False)))
    )
    rows = (
        User.objects.using(alias)
        .exclude(Exists(BreakGlassAccount.objects.filter(user=OuterRef("pk"))))
        .filter(hand_made)
        .values_list("user_name", flat=True)
        .distinct()
        .order_by("user_name")
    )
    return list(rows)


DEPLOY_CHECKS = [(check_encryption_keys, Tags.security), (check_audit_hmac_key, Tags.security)]
