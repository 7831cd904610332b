"""Sweep 5: seats unused for N days are reclaimed.

"Unused" is measured by sign-in: the seat holder has not signed in for N days (or never, with the seat
older than N days). N is this sweep's `days` setting, for every pool (0: never reclaim).
Off by default: an admin enables it in Sweep settings. A seat is reclaimed with a deny override (audited,
reversible by removing the override), so the next recompute does not hand it straight back."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from courses.errors import InvalidInput
from courses.models import Grant, GrantState, OverrideEffect, TargetType
from courses.services.overrides import set_override
from lms_identity.models import User
from lms_identity.services.audit import Actor
from provisioning.models import JobKind, SweepSettings

from .base import Sweep


class UnusedSeatsSweep(Sweep):
    kind = JobKind.UNUSED_SEATS
    braked = False  # reclaims seats, never deactivates anyone
    defaults = {"days": 60, "enabled": False}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        cutoff = timezone.now() - timedelta(days=int(config.days))
        seats = Grant.objects.filter(
            user=OuterRef("pk"), target_type=TargetType.SEAT, state=GrantState.ACTIVE, created_at__lt=cutoff
        )
        idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True)
        return User.objects.active().filter(idle).filter(Exists(seats))

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        counts: Counter[str] = Counter()
        now = timezone.now()
        seats = Grant.objects.filter(
            user__in=people, target_type=TargetType.SEAT, state=GrantState.ACTIVE
        ).select_related("pool", "user")
        for grant in seats.order_by("user_id", "pool_id"):
            days = int(config.days)
            if not days:
                counts["pool_never_reclaims"] += 1
                continue
            cutoff = now - timedelta(days=days)
            last_login = grant.user.last_login
            if grant.created_at >= cutoff or (last_login is not None and last_login >= cutoff):
                counts["still_in_use"] += 1
                continue
            try:
                set_override(
                    grant.user,
                    actor=actor,
                    target_type=TargetType.SEAT,
                    target=grant.pool,
                    effect=OverrideEffect.DENY,
                    reason=f"seat unused for {days} days",
                )
            except InvalidInput:
                counts["kept_by_allow_override"] += 1  # an admin's explicit allow wins
                continue
            counts["seats_reclaimed"] += 1
        return counts
