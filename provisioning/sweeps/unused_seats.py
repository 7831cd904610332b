"""Sweep 5: seats unused for N days are reclaimed.

"Unused" is measured by sign-in: the seat holder has not signed in for N days (or never, with the seat
older than N days). N is the pool's own `reclaim_unused_after_days` when the courses model has that
field (0 or empty: never reclaim from that pool); otherwise this sweep's `days` setting for every pool.
Off by default: an admin enables it in Sweep settings. A seat is reclaimed with a deny override (audited,
reversible by removing the override), so the next recompute does not hand it straight back."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lms_identity.models import User
from lms_identity.services.audit import Actor
from provisioning.models import JobKind, SweepSettings

from .base import Sweep

POOL_POLICY_FIELD = "reclaim_unused_after_days"


class UnusedSeatsSweep(Sweep):
    kind = JobKind.UNUSED_SEATS
    braked = False  # reclaims seats, never deactivates anyone
    defaults = {"days": 60, "enabled": False}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        from courses.models import Grant, GrantState, TargetType

        cutoff = timezone.now() - timedelta(days=self._min_days(config))
        seats = Grant.objects.filter(
            user=OuterRef("pk"), target_type=TargetType.SEAT, state=GrantState.ACTIVE, created_at__lt=cutoff
        )
        idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True)
        return User.objects.active().filter(idle).filter(Exists(seats))

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        from courses.errors import InvalidInput
        from courses.models import Grant, GrantState, OverrideEffect, TargetType
        from courses.services.overrides import set_override

        counts: Counter[str] = Counter()
        now = timezone.now()
        seats = Grant.objects.filter(
            user__in=people, target_type=TargetType.SEAT, state=GrantState.ACTIVE
        ).select_related("pool", "user")
        for grant in seats.order_by("user_id", "pool_id"):
            days = self._days_for(grant.pool, config)
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

    def _days_for(self, pool: object, config: SweepSettings) -> int:
        if _pool_has_policy():
            return int(getattr(pool, POOL_POLICY_FIELD) or 0)
        return int(config.days)

    def _min_days(self, config: SweepSettings) -> int:
        if not _pool_has_policy():
            return int(config.days)
        from courses.models import LicensePool

        windows = [d for d in LicensePool.objects.values_list(POOL_POLICY_FIELD, flat=True) if d]
        return min(windows) if windows else 10**5


def _pool_has_policy() -> bool:
    from courses.models import LicensePool

    return any(f.name == POOL_POLICY_FIELD for f in LicensePool._meta.get_fields())
