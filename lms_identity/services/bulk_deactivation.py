"""Deactivating many people at once (the sweeps use it).

The same promise as the core's `deactivate_user`, for many people in a fixed number of statements: each
person still active is marked inactive, every session of theirs is deleted, one `user.deactivated` audit
event per person (with the reason) and one outbox event for the chunk are written, all in one transaction
that locks the people in primary-key order. People already inactive are skipped, so a repeat is a no-op.
A sweep over a million people deactivating 1 % of them spends its time here, hence the bulk form.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from lms_identity.models import User
from lms_identity.models.sessions import EndCause

from . import outbox
from .audit import Actor, record_events
from .sessions import end_sessions_of_people


def deactivate_users(
    people: Sequence[User], *, actor: Actor, reason: str, still_matching: QuerySet[User] | None = None
) -> list[User]:
    """Lock out every person given who is still active and, when `still_matching` is given, still in it
    once their row is locked (a person who signed in since the sweep chose them is left alone). Returns
    those deactivated now."""
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
            "user.deactivated",
            active,
            changes={"is_active": (True, False)},
            context_for=lambda user: {"sessions_ended": per_person.get(user.pk, 0), "reason": reason},
        )
        outbox.emit(
            outbox.USER_DEACTIVATED,
            {"user_ids": [str(pk) for pk in active_ids], "requested_at": now.isoformat()},
        )
    return active
