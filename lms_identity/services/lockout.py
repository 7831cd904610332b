"""Locking people out and letting them back in: the one place that does either.

A lock-out marks the person inactive, deletes every session of theirs, writes one `user.deactivated` audit
event whose context holds the sessions ended and the reason (the cause), and one outbox event the workers
and the deprovisioning latency read. SCIM (`update_user` with active false), adoption as a leaver,
deletion, the admin, SSO session signals, the sweeps and every bulk path come through here, so the event
looks the same whoever asked. Reactivation is the mirror: active again, `user.reactivated`.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from lms_identity.models import User
from lms_identity.models.sessions import EndCause

from . import outbox
from .audit import Actor, record_event, record_events
from .sessions import end_sessions_of, end_sessions_of_people

DEACTIVATED = "user.deactivated"
REACTIVATED = "user.reactivated"
# The fields a lock-out or a reactivation changes on the row, for the caller's save(update_fields=...).
ACTIVITY_FIELDS = ("is_active", "deactivated_at", "deleted_at")


def deactivate_user(user: User, *, actor: Actor, reason: str = "") -> bool:
    """Lock the person out: inactive, every session deleted, audited with the reason, in one transaction
    that locks their row. Idempotent: returns False when they were already inactive. Emits
    user.deactivated (the one outbox event: the dispatcher reconciles the people of either kind)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return False
        lock_out(user, actor=actor, reason=reason)
        user.version += 1
        user.save(update_fields=[*ACTIVITY_FIELDS, "version", "updated_at"])
    return True


def reactivate_user(user: User, *, actor: Actor) -> bool:
    """Let the person sign in again (a soft-deleted person is restored). One transaction, row locked.
    Idempotent: returns False when they were already active. Audited; emits user.changed."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            return False
        let_back_in(user, actor=actor)
        user.version += 1
        user.save(update_fields=[*ACTIVITY_FIELDS, "version", "updated_at"])
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(user.pk)]})
    return True


def deactivate_users(
    people: Sequence[User], *, actor: Actor, reason: str, still_matching: QuerySet[User] | None = None
) -> list[User]:
    """The bulk form, for the sweeps: the same lock-out for many people in a fixed number of statements.

    Locks out every person given who is still active and, when `still_matching` is given, still in it
    once their row is locked (a person who signed in since the sweep chose them is left alone). One
    transaction locking the people in primary-key order; one audit event per person and one outbox event
    for all. Idempotent. Returns those deactivated now."""
    ids = sorted(p.pk for p in people)
    if not ids:
        return []
    with transaction.atomic():
        scope = still_matching if still_matching is not None else User.objects.all()
        locked = scope.select_for_update(of=("self",)).filter(pk__in=ids, is_active=True).order_by("pk")
        active = list(locked)
        if not active:
            return []
        now = timezone.now()
        active_ids = [u.pk for u in active]
        User.objects.filter(pk__in=active_ids).update(
            is_active=False, deactivated_at=now, version=F("version") + 1, updated_at=now
        )
        per_person = end_sessions_of_people(active, cause=EndCause.DEACTIVATED, actor=actor)
        record_events(
            actor,
            DEACTIVATED,
            active,
            changes={"is_active": (True, False)},
            context_for=lambda user: _lockout_context(per_person.get(user.pk, 0), reason),
        )
        _emit_leavers(active_ids, now, outbox.USER_DEACTIVATED)
    return active


def lock_out(
    user: User,
    *,
    actor: Actor,
    reason: str,
    leaving_kind: str | None = outbox.USER_DEACTIVATED,
    saving: Sequence[str] = (),
) -> int:
    """Take an active person's access away inside the caller's transaction, on a row the caller has
    locked and saves (ACTIVITY_FIELDS), afterwards or through `saving`: inactive, sessions deleted,
    audited. `leaving_kind` is the outbox event the leaver is known by; None when the caller emits its
    own (a deletion's user.deleted). `saving`: the caller's fields to save, in the statement of this
    audit event instead of afterwards (a deactivation that changes nothing else). Returns the sessions
    ended."""
    now = timezone.now()
    user.is_active = False
    user.deactivated_at = now
    cause = EndCause.DELETED if reason == "deleted" else EndCause.DEACTIVATED
    sessions = end_sessions_of(user, cause=cause, actor=actor)
    record_event(
        actor,
        DEACTIVATED,
        user,
        changes={"is_active": (True, False)},
        context=_lockout_context(sessions, reason),
        emit=_leavers([user.pk], now, leaving_kind) if leaving_kind is not None else None,
        saving_target=saving,
    )
    return sessions


def let_back_in(user: User, *, actor: Actor) -> None:
    """Make an inactive (or soft-deleted) person active again inside the caller's transaction, on a row
    the caller has locked and saves afterwards (ACTIVITY_FIELDS). Audited."""
    user.is_active = True
    user.deactivated_at = None
    user.deleted_at = None
    record_event(actor, REACTIVATED, user, changes={"is_active": (False, True)})


def _lockout_context(sessions: int, reason: str) -> dict[str, Any]:
    return {"sessions_ended": sessions, "reason": reason}


def _leavers(user_ids: Sequence[Any], now: datetime, kind: str) -> tuple[str, dict[str, Any]]:
    return kind, {"user_ids": [str(pk) for pk in user_ids], "requested_at": now.isoformat()}


def _emit_leavers(user_ids: Sequence[Any], now: datetime, kind: str) -> None:
    outbox.emit(*_leavers(user_ids, now, kind))
