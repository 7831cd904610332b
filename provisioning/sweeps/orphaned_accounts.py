"""Sweep 2: orphaned accounts. Just-in-time or manual people no IdP provisions (no SCIM record) who
have not signed in for N days are deactivated. Staff and superusers are left alone."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from lms_identity.models import User
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor
from lms_identity.services.lockout import deactivate_users
from provisioning.models import JobKind, SweepSettings

from .base import Sweep


class OrphanedAccountsSweep(Sweep):
    kind = JobKind.ORPHANED_ACCOUNTS
    defaults = {"days": 90}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        cutoff = timezone.now() - timedelta(days=config.days)
        idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, created_at__lt=cutoff)
        return (
            User.objects.active()
            .filter(source__in=[Source.JIT, Source.MANUAL], is_staff=False, is_superuser=False)
            .filter(idle)
        )

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        done = deactivate_users(
            people,
            actor=actor,
            reason=f"no IdP record and no sign-in for {config.days} days",
            still_matching=self.candidates(config, {}),
        )
        return Counter({"deactivated": len(done)})
