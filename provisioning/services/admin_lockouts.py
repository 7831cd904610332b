"""An admin password sign-in locked out by django-axes: audited in the core, and an alert for the admins."""

import hashlib

from django.db import transaction

from lms_identity.services.sign_in_lockouts import record_admin_lockout, shown
from provisioning.models import Alert

from .alerts import raise_alert


def report_admin_lockout(*, user_name: str | None, ip_address: str | None) -> Alert:
    """Audit the refused sign-in and open (or count one more occurrence of) the alert of this account:
    one open alert per account, whatever the number of attempts. One transaction; the webhook, if any,
    is posted after commit by raise_alert."""
    name, address = shown(user_name), shown(ip_address)
    account_key = hashlib.sha256(name.lower().encode("utf-8")).hexdigest()[:16]
    with transaction.atomic():
        record_admin_lockout(user_name=user_name, ip_address=ip_address)
        return raise_alert(
            f"admin_sign_in.locked_out.{account_key}",
            f"Admin password sign-in locked for {name!r} after repeated failures (last from {address}). "
            f"If it was not an attack, unlock with `python manage.py axes_reset_username {name}`.",
        )
