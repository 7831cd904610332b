"""Sweep 4: soft-deleted people past the retention period lose their personal data; their audit trail
stays, under a pseudonym."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from lms_identity.models import User
from lms_identity.services.audit import Actor
from provisioning.models import JobKind, PurgedPerson, SweepSettings
from provisioning.services.purge import purge_personal_data

from .base import Sweep


class RetentionPurgeSweep(Sweep):
    kind = JobKind.RETENTION_PURGE
    braked = False  # acts only on people deleted long ago; nobody loses access
    defaults = {"days": 30}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        cutoff = timezone.now() - timedelta(days=config.days)
        purged = PurgedPerson.objects.values("user_id")
        return User.objects.filter(deleted_at__lt=cutoff).exclude(pk__in=purged)

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        counts: Counter[str] = Counter()
        for user in people:
            if purge_personal_data(user, actor=actor):
                counts["purged"] += 1
        return counts
