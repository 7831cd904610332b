"""What every chunk of one reconcile run shares, loaded once per run: the compiled rules, the HR matrix,
the license pools and the names of every target (for the audit events)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from ..matching import CompiledRule, load_rules
from ..models import HrRoleMapping, LicensePool, Override
from ..targets import KINDS, TargetType, hr_origin_key, seat_key, target_key, target_names


@dataclass
class Context:
    """What every chunk of one run shares: rules, the HR matrix, pools and target names."""

    rules: dict[int, CompiledRule]
    hr: list[tuple[str, str, str, str]]  # (attribute, casefolded value, role key, origin key)
    pools: dict[str, LicensePool]  # by the key of their seats ("seat:<pool id>")
    labels: dict[str, str]
    # Most deployments hold few overrides; without any, the per-chunk query is skipped.
    has_overrides: bool = True
    now: datetime = field(default_factory=timezone.now)

    @classmethod
    def load(cls) -> "Context":
        rules = load_rules()
        hr = [
            (m.attribute, m.value.casefold(), target_key(TargetType.ROLE, m.role_id), hr_origin_key(m.pk))
            for m in HrRoleMapping.objects.all()
        ]
        pools = {seat_key(p.pk): p for p in LicensePool.objects.all()}
        labels = {key: str(pool) for key, pool in pools.items()}
        labels.update(target_names(kind for kind in KINDS.values() if kind.target_type != TargetType.SEAT))
        return cls(rules, hr, pools, labels, Override.objects.exists())

    def __post_init__(self) -> None:
        # Rules with groups are only tried for people in one of their groups; the rest for everyone.
        self.ungrouped = [r for r in self.rules.values() if r.enabled and not r.group_ids]
        self.by_group: dict[uuid.UUID, list[CompiledRule]] = defaultdict(list)
        for rule in self.rules.values():
            if rule.enabled:
                for group_id in rule.group_ids:
                    self.by_group[group_id].append(rule)

    def candidate_rules(self, group_ids: set[uuid.UUID]) -> Iterable[CompiledRule]:
        if not group_ids:
            return self.ungrouped
        grouped = {r.id: r for g in group_ids for r in self.by_group.get(g, ())}
        return [*self.ungrouped, *grouped.values()] if grouped else self.ungrouped
