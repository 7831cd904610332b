"""Sweep 3: people of a disabled IdP connection are deactivated.

Disabling a connection is an admin's deliberate act that concerns all of its people, so this sweep's
brake is off by default (brake share 1.0); set it lower in the admin to require a dry run first."""

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from lms_identity.models import User
from lms_identity.services.audit import Actor
from lms_identity.services.lockout import deactivate_users
from provisioning.models import JobKind, SweepSettings

from .base import Sweep


class DisabledConnectionSweep(Sweep):
    kind = JobKind.DISABLED_CONNECTION
    defaults = {"days": 0, "brake_share": 1.0}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        return User.objects.active().filter(connection__enabled=False)

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        done = deactivate_users(
            people,
            actor=actor,
            reason="their IdP connection is disabled",
            still_matching=self.candidates(config, {}),
        )
        return Counter({"deactivated": len(done)})
