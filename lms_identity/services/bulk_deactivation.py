"""Deactivating many people at once (the sweeps use it).

The same promise as the core's `deactivate_user`, for many people in a fixed number of statements: each
person still active is marked inactive, every session of theirs is deleted, one `user.deactivated` audit
event per person (with the reason) and one outbox event for the chunk are written, all in one transaction
that locks the people in primary-key order. People already inactive are skipped, so a repeat is a no-op.
A sweep over a million people deactivating 1 % of them spends its time here, hence the bulk form.
"""

from collections import Counter
from collections.abc import Sequence

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from lms_identity.models import AuditEvent, User, UserSession

from . import outbox
from .audit import Actor


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
        sessions = UserSession.objects.filter(user_id__in=active_ids)
        per_person = Counter(sessions.values_list("user_id", flat=True))
        Session.objects.filter(session_key__in=sessions.values("session_key")).delete()
        sessions.delete()
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor_type=actor.type,
                actor_id=actor.id,
                actor_label=actor.label[:255],
                action="user.deactivated",
                target_type="user",
                target_id=str(user.pk),
                target_label=str(user)[:255],
                connection_id=actor.connection_id,
                changes={"is_active": [True, False]},
                context={"sessions_ended": per_person.get(user.pk, 0), "reason": reason},
            )
            for user in active
        )
        outbox.emit(
            outbox.USER_DEACTIVATED,
            {"user_ids": [str(pk) for pk in active_ids], "requested_at": now.isoformat()},
        )
    return active
