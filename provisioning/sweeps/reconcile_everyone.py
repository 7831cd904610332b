"""The nightly full reconcile, and the recompute of everyone a rule affects: walks of people whose
action is the courses reconciler (level-triggered, so a resumed walk repeating a chunk changes nothing)."""

from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from courses.models import EntitlementRule
from courses.reconcile import list_people_affected_by_rule, reconcile_people
from lms_identity.models import User
from lms_identity.services.audit import Actor
from provisioning.models import JobKind, SweepSettings

from .base import Sweep


class ReconcileEveryoneJob(Sweep):
    kind = JobKind.RECONCILE_EVERYONE
    braked = False
    defaults = {"days": 0, "chunk_size": 2000, "max_actions_per_run": 100_000_000}

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        # Deleted people too, so nothing lingers on them.
        return User.objects.all()

    def act(self, people: list[User], *, actor: Actor, config: SweepSettings) -> Counter[str]:
        summary = reconcile_people([u.pk for u in people], actor=actor)
        counts: Counter[str] = Counter({k: v for k, v in summary.items() if v and k != "people"})
        counts["people"] += len(people)
        return counts

    def dry_run_counts(self, people: list[User], *, config: SweepSettings) -> Counter[str]:
        """Everyone is a candidate of a reconcile, so a dry run reconciles the chunk inside a transaction
        it rolls back, and reports the changes it would have made (none when grants are up to date)."""
        with transaction.atomic():
            summary = reconcile_people([u.pk for u in people], actor=Actor.system(f"dry run of {self.kind}"))
            transaction.set_rollback(True)
        changes = Counter({f"would_{k}": v for k, v in summary.items() if v and k != "people"})
        changes["would_act_on"] += sum(changes.values())
        return changes


class RecomputeRuleJob(ReconcileEveryoneJob):
    kind = JobKind.RECOMPUTE_RULE

    def candidates(self, config: SweepSettings, params: dict[str, Any]) -> QuerySet[User]:
        rule = EntitlementRule.objects.filter(pk=int(params.get("rule_id") or 0)).first()
        if rule is None:
            return User.objects.none()
        return User.objects.filter(pk__in=list_people_affected_by_rule(rule))
