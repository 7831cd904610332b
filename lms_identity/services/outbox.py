"""The event outbox: the core's way to tell the rest that something changed.

`emit` writes a row in the caller's transaction; `emit_beside` writes it in the same round trip as the
audit event of the same change (audit.record_event's `emit`). After commit it nudges the dispatcher
through the hook in settings.OUTBOX_NOTIFY (a dotted path, set by the provisioning app), which must never
block on the broker: if the nudge is lost, the periodic dispatcher still finds the row.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.module_loading import import_string

from lms_identity.models import OutboxEvent

from .event_rows import Guard, Saving, insert_together

USER_CHANGED = "user.changed"
USER_DEACTIVATED = "user.deactivated"
USER_DELETED = "user.deleted"
GROUP_CHANGED = "group.changed"
MEMBERSHIP_CHANGED = "membership.changed"
# An IdP tried to adopt or rename an account with admin power (services/adoption.py): raise an alert.
ADOPTION_REFUSED = "adoption.refused"
# The break-glass account signed in, or tried to without an approved window (services/break_glass.py).
BREAK_GLASS = "break_glass"


def emit(kind: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the current transaction and nudge the dispatcher once it commits."""
    event = OutboxEvent.objects.create(kind=kind, payload=payload)
    transaction.on_commit(_notify)
    return event


def emit_beside(
    written_first: Sequence[models.Model],
    kind: str,
    payload: dict[str, Any],
    *,
    unless_found: Guard | None = None,
    saving: Saving | None = None,
) -> OutboxEvent:
    """As `emit`, inserting the unsaved rows `written_first` (the change's audit event, and the new
    person it records, if any) and the outbox event in one statement (event_rows.py); with
    `unless_found`, none of them when that query finds a row (the rows then stay unsaved); with `saving`,
    the changed row's fields are saved in that statement too."""
    event = OutboxEvent(kind=kind, payload=payload)
    if insert_together(*written_first, event, unless_found=unless_found, saving=saving):
        transaction.on_commit(_notify)
    return event


def _notify() -> None:
    hook = getattr(settings, "OUTBOX_NOTIFY", "")
    if hook:
        import_string(hook)()
