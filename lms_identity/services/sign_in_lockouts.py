"""The audit side of a locked-out admin sign-in (django-axes decides the lock-out itself)."""

from django.db import transaction

from lms_identity.models import AuditEvent, User
from lms_identity.models.users import user_name_is

from .audit import Actor, record_event

MAX_SHOWN = 150


def shown(value: str | None) -> str:
    """An attacker-chosen string as it may be stored and shown: bounded, and with any code point that
    UTF-8 cannot encode (a lone surrogate) escaped."""
    return (value or "")[:MAX_SHOWN].encode("utf-8", "backslashreplace").decode("utf-8")


def record_admin_lockout(*, user_name: str | None, ip_address: str | None) -> AuditEvent:
    """Write the audit event of an admin password sign-in refused for too many failures: the account
    (linked when it exists) and the address. Written on the lock-out and on each attempt while locked."""
    name = shown(user_name)
    with transaction.atomic():
        user = User.objects.filter(user_name_is(name)).first() if name else None
        return record_event(
            Actor.system("admin sign-in throttle"),
            "admin.sign_in_locked_out",
            user,
            context={"user_name": name, "ip_address": shown(ip_address)},
        )
