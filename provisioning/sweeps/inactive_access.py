"""Sweep 1: inactive or deleted people who still hold sessions or live grants (seats, course access).

Deactivation ends sessions at once and the outbox reconciles grants within seconds; this sweep repairs
whatever slipped through (an event that failed for good, a grant written by hand)."""

from collections import Counter
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from courses.models import Grant, GrantState
from courses.reconcile import reconcile_people
from lms_identity.models import User, UserSession
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import end_sessions_of_people
from provisioning.models import JobKind, SweepSettings

from .base import Sweep


class InactiveAccessSweep(Sweep):
    kind = JobKind.INACTIVE_ACCESS
    defaults = {"days": 0}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        sessions = UserSession.objects.filter(user=OuterRef("pk"))
        grants = Grant.objects.filter(user=OuterRef("pk"), state=GrantState.ACTIVE)
        return User.objects.filter(Q(is_active=False) | Q(deleted_at__isnull=False)).filter(
            Exists(sessions) | Exists(grants)
        )

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        counts: Counter[str] = Counter()
        # One session.ended event (cause "sweep") per person whose sessions it ended.
        ended = end_sessions_of_people(people, cause=EndCause.SWEEP, actor=actor)
        counts["sessions_ended"] += sum(ended.values())
        summary = reconcile_people([u.pk for u in people], actor=actor)
        counts.update({f"grants_{k}": v for k, v in summary.items() if v and k != "people"})
        counts["people"] += len(people)
        return counts
