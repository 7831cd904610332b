"""What every sweep provides: who it acts on, and what it does to a chunk of them."""

from collections import Counter
from typing import Any, ClassVar

from django.db.models import QuerySet

from lms_identity.models import User
from lms_identity.services.audit import Actor
from provisioning.models import SweepSettings


class Sweep:
    """A sweep names its candidates as a queryset of people (walked by primary key) and acts on a chunk
    of them inside one transaction. Acting must take each person out of `candidates`, so a resumed or
    repeated run never acts on anyone twice."""

    kind: ClassVar[str]
    # Whether the safety brake applies: a run that would act on more than the configured share of a
    # connection's people stops before its first write.
    braked: ClassVar[bool] = True
    # Defaults for the SweepSettings row created on first use.
    defaults: ClassVar[dict[str, object]] = {}

    def unavailable(self) -> str:
        """A reason this sweep cannot run in this deployment, or "" when it can."""
        return ""

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        raise NotImplementedError

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        raise NotImplementedError

    def dry_run_counts(self, people: list[User], *, config: SweepSettings) -> Counter[str]:
        """What a dry run reports for a chunk, writing nothing: by default that the sweep would act on
        every candidate (acting is what makes someone a candidate)."""
        return Counter({"would_act_on": len(people)})

    def describe(self, user: User) -> dict[str, str]:
        """One line of a dry-run report."""
        return {
            "id": str(user.pk),
            "user_name": user.user_name,
            "connection": str(user.connection_id or ""),
        }
