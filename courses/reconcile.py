"""The reconciler: each person's desired grants from rules, the HR matrix, overrides and license pools,
and the few writes that turn their current grants into those.

Level-triggered: it never asks what happened, only what should be, so running it twice changes nothing
the second time, people already in a group when a rule appears get its grants, and a missed event is
repaired by the next run. Work is done a chunk of people at a time with a fixed number of queries per
chunk: rules are loaded once, then people, memberships, overrides and grants of the chunk in four
queries, and the difference is written with bulk statements and one audit event per changed grant.

Public interface (other apps call these by name):
    reconcile_people(user_ids, *, actor) -> summary counts
    reconcile_everyone(*, actor, chunk_size=CHUNK) -> summary counts
    list_people_affected_by_rule(rule) -> ids whose grants a change of this rule may alter
"""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from lms_identity.models import AuditEvent, Membership, User
from lms_identity.services.audit import Actor
from lms_identity.services.audit_sealer import seal_after_commit

from .bulk_insert import insert_rows
from .models import (
    Course,
    EntitlementRule,
    Grant,
    GrantState,
    HrRoleMapping,
    LearningPath,
    LicensePool,
    Origin,
    Override,
    OverrideEffect,
    RemovalPolicy,
    RoleTemplate,
    TargetType,
)
from .rules import PERSON_FIELDS, CompiledRule, load_rules, matching_user_ids
from .services.pools import check_utilization

log = logging.getLogger(__name__)

CHUNK = 2000
# People named by id are read with IN lists of this many ids: fewer, larger lists cost less per person.
PEOPLE_CHUNK = 5000
ANALYZE_AFTER = 10_000
SEVERITY = {GrantState.ACTIVE: 0, GrantState.SUSPENDED: 1, GrantState.REVOKED: 2}
LICENSE = "license"
MANUAL = "manual"
GRANT_COLUMNS = (
    "user_id",
    "target_type",
    "course_id",
    "path_id",
    "role_id",
    "pool_id",
    "origin",
    "origin_key",
    "key",
    "rule_id",
    "state",
    "grace_until",
    "created_at",
    "updated_at",
)
AUDIT_COLUMNS = (
    "at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "connection_id",
    "changes",
    "context",
)


@dataclass
class Context:
    """What every chunk of one run shares: rules, the HR matrix, pools and target names."""

    rules: dict[int, CompiledRule]
    hr: list[tuple[str, str, str, str]]  # (attribute, casefolded value, role key, origin key)
    pools: dict[str, LicensePool]
    labels: dict[str, str]
    # Most deployments hold few overrides; without any, the per-chunk query is skipped.
    has_overrides: bool = True
    now: datetime = field(default_factory=timezone.now)

    @classmethod
    def load(cls) -> "Context":
        rules = load_rules()
        hr = [
            (m.attribute, m.value.casefold(), f"role:{m.role_id}", f"hr:{m.pk}")
            for m in HrRoleMapping.objects.all()
        ]
        pools = {f"seat:{p.pk}": p for p in LicensePool.objects.all()}
        labels = {key: str(pool) for key, pool in pools.items()}
        for model, prefix, name in (
            (Course, "course", "title"),
            (LearningPath, "path", "title"),
            (RoleTemplate, "role", "name"),
        ):
            labels.update({f"{prefix}:{pk}": label for pk, label in model.objects.values_list("pk", name)})
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


@dataclass
class Plan:
    """The writes one chunk needs."""

    creates: list[tuple[Any, ...]] = field(default_factory=list)  # rows in GRANT_COLUMNS order
    # (new state, grace_until) -> grant ids
    updates: dict[tuple[str, datetime | None], list[int]] = field(default_factory=lambda: defaultdict(list))
    # pool key -> [(user id, existing grant id or None)]
    seat_needs: dict[str, list[tuple[uuid.UUID, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    events: list[tuple[uuid.UUID, str, str, str, dict[str, Any]]] = field(default_factory=list)
    released: Counter[str] = field(default_factory=Counter)
    summary: Counter[str] = field(default_factory=Counter)
    now: datetime = field(default_factory=timezone.now)

    def change(self, row: dict[str, Any], state: str, grace: datetime | None, action: str) -> None:
        self.updates[(state, grace)].append(row["id"])
        changes = {"state": [row["state"], state]} if state != row["state"] else {}
        if grace != row["grace_until"]:
            changes["grace_until"] = [_iso(row["grace_until"]), _iso(grace)]
        self.events.append((row["user_id"], action, row["key"], row["origin_key"], changes))
        self.summary[action.split(".", 1)[1]] += 1

    def create(self, user_id: uuid.UUID, key: str, origin_key: str, action: str = "grant.created") -> None:
        target_type, raw_id = key.split(":", 1)
        origin = origin_key.split(":", 1)[0]
        target_id = int(raw_id)
        self.creates.append(
            (
                user_id,
                target_type,
                target_id if target_type == "course" else None,
                target_id if target_type == "path" else None,
                target_id if target_type == "role" else None,
                target_id if target_type == "seat" else None,
                origin,
                origin_key,
                key,
                int(origin_key[5:]) if origin == Origin.RULE else None,
                GrantState.ACTIVE,
                None,
                self.now,
                self.now,
            )
        )
        self.events.append((user_id, action, key, origin_key, {"state": [None, GrantState.ACTIVE]}))
        self.summary[action.split(".", 1)[1]] += 1


def reconcile_people(user_ids: Iterable[Any], *, actor: Actor) -> dict[str, int]:
    """Bring these people's grants to their desired state. Idempotent: a second run changes nothing.

    Inactive or deleted people lose everything per policy: seats are freed at once, other grants are
    suspended (revoked where the rule says revoke); enrollments and completions are kept. Each chunk runs
    in one transaction that locks the chunk's people (primary-key order), then the pools it assigns
    seats from. One audit event per changed grant. Seats these people give back are offered at once to
    people who match the pool's rules and wait for one. Returns counts."""
    ids = sorted(_unique_ids(user_ids))
    context = Context.load()
    summary: Counter[str] = Counter()
    released: Counter[str] = Counter()
    for start in range(0, len(ids), PEOPLE_CHUNK):
        summary.update(_reconcile_chunk(ids[start : start + PEOPLE_CHUNK], context, actor, released))
    waiting = _waiting_for_seats(released, context, exclude=set(ids))
    if waiting:
        offered = Counter(_reconcile_chunk(waiting, context, actor, Counter()))
        summary["assigned"] += offered["assigned"]
    summary["people"] += 0
    return dict(summary)


def _waiting_for_seats(
    released: Counter[str], context: Context, *, exclude: set[uuid.UUID]
) -> list[uuid.UUID]:
    """Up to as many people as seats were freed, per pool, who match an enabled rule of the pool and hold
    no seat in it, in primary-key order (first come by id, so repeated runs agree)."""
    from .rules import matching_user_ids

    waiting: set[uuid.UUID] = set()
    for key, freed in released.items():
        pool = context.pools.get(key)
        rules = EntitlementRule.objects.filter(enabled=True, target_type=TargetType.SEAT, pool=pool)
        candidates: set[uuid.UUID] = set()
        for rule in rules:
            candidates |= matching_user_ids(rule)
        holders = set(
            Grant.objects.filter(pool=pool, state=GrantState.ACTIVE).values_list("user_id", flat=True)
        )
        waiting.update(sorted(candidates - holders - exclude)[:freed])
    return sorted(waiting)


def reconcile_everyone(*, actor: Actor, chunk_size: int = CHUNK) -> dict[str, int]:
    """Recompute every person's grants (deleted people included, so nothing lingers), a chunk at a time,
    each chunk in its own transaction. Idempotent. Returns counts."""
    context = Context.load()
    summary: Counter[str] = Counter()
    for chunk in _all_user_ids(chunk_size):
        summary.update(_reconcile_chunk(chunk, context, actor, whole_range=True))
    summary["people"] += 0
    if summary["created"] + summary["assigned"] >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # A first full run can grow the grant table from nothing to millions of rows; until autovacuum
        # catches up the planner would scan it whole for every person's grants. PostgreSQL's advice for
        # a bulk load: ANALYZE afterwards.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Grant._meta.db_table)}")
    return dict(summary)


def list_people_affected_by_rule(rule: EntitlementRule) -> set[uuid.UUID]:
    """Ids of the people whose grants a change of this rule (edit, enable, disable, delete) may alter:
    those it selects now, and those holding a live grant from it."""
    affected = matching_user_ids(rule) if rule.pk else set()
    if rule.pk:
        affected |= set(
            Grant.objects.filter(origin_key=f"rule:{rule.pk}")
            .exclude(state=GrantState.REVOKED)
            .values_list("user_id", flat=True)
        )
    return affected


def desired_for(
    person: dict[str, Any], group_ids: set[uuid.UUID], overrides: list[tuple[str, str]], context: Context
) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(desired (target key, origin key) pairs, wanted seat pool keys, denied target keys) for one person."""
    denied = {key for key, effect in overrides if effect == OverrideEffect.DENY}
    if not person["is_active"] or person["deleted_at"] is not None:
        return set(), set(), denied
    desired: set[tuple[str, str]] = set()
    seats: set[str] = set()
    for rule in context.candidate_rules(group_ids):
        if rule.matches(person, group_ids):
            if rule.target_type == TargetType.SEAT:
                seats.add(rule.target_key)
            else:
                desired.add((rule.target_key, rule.origin_key))
    for attribute, value, role_key, origin_key in context.hr:
        if (person.get(attribute) or "").casefold() == value:
            desired.add((role_key, origin_key))
    for key, effect in overrides:
        if effect == OverrideEffect.ALLOW:
            if key.startswith("seat:"):
                seats.add(key)
            else:
                desired.add((key, MANUAL))
    return desired, seats - denied, denied


def _reconcile_chunk(
    ids: list[uuid.UUID],
    context: Context,
    actor: Actor,
    released: Counter[str] | None = None,
    *,
    whole_range: bool = False,
) -> Counter[str]:
    """Reconcile one chunk of people in one transaction. With `whole_range`, `ids` are every person
    between the first and the last id (the walk over everyone), so rows are read by id range rather
    than by a list of 2,000 ids, which PostgreSQL plans and psycopg quotes faster."""
    plan = Plan(now=context.now)

    def of_chunk(field: str) -> dict[str, Any]:
        if whole_range:
            return {f"{field}__gte": ids[0], f"{field}__lte": ids[-1]}
        return {f"{field}__in": ids}

    with transaction.atomic():
        people = list(
            User.objects.select_for_update()
            .filter(**of_chunk("pk"))
            .order_by("pk")
            .values(*PERSON_FIELDS, "user_name")
        )
        found = [p["id"] for p in people]
        if not whole_range:
            ids = found
        groups: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for user_id, group_id in Membership.objects.filter(**of_chunk("user_id")).values_list(
            "user_id", "group_id"
        ):
            groups[user_id].add(group_id)
        overrides: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
        override_rows: Iterable[tuple[Any, ...]] = ()
        if context.has_overrides:
            override_rows = Override.objects.filter(**of_chunk("user_id")).values_list(
                "user_id", "key", "effect", "expires_at"
            )
        for user_id, key, effect, expires_at in override_rows:
            if expires_at is None or expires_at > context.now:
                overrides[user_id].append((key, effect))
        grants: dict[uuid.UUID, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
        rows = Grant.objects.filter(**of_chunk("user_id")).values(
            "id", "user_id", "key", "origin_key", "state", "grace_until"
        )
        for row in rows:
            grants[row["user_id"]][(row["key"], row["origin_key"])] = row  # type: ignore[assignment]
        names = {p["id"]: p["user_name"] for p in people}
        for person in people:
            _plan_person(
                person, groups[person["id"]], overrides[person["id"]], grants[person["id"]], context, plan
            )
        _apply(plan, context, actor, names)
    plan.summary["people"] += len(people)
    if released is not None:
        released.update(plan.released)
    return plan.summary


def _plan_person(
    person: dict[str, Any],
    group_ids: set[uuid.UUID],
    overrides: list[tuple[str, str]],
    current: dict[tuple[str, str], dict[str, Any]],
    context: Context,
    plan: Plan,
) -> None:
    desired, seats, denied = desired_for(person, group_ids, overrides, context)
    active_person = person["is_active"] and person["deleted_at"] is None
    for (key, origin_key), row in current.items():
        if key.startswith("seat:"):
            _plan_seat(row, key in seats, active_person and key not in denied, context, plan)
            continue
        state = row["state"]
        if (key, origin_key) in desired:
            target = _harsher(state, GrantState.SUSPENDED) if key in denied else GrantState.ACTIVE
        else:
            target = _harsher(state, _removal_state(origin_key, active_person, context))
        if target != state:
            plan.change(row, target, None, f"grant.{_verb(target)}")
    for key, origin_key in desired - current.keys():
        if key not in denied:
            plan.create(person["id"], key, origin_key)
    for key in seats:
        seat = current.get((key, LICENSE))
        if key in context.pools and (seat is None or seat["state"] != GrantState.ACTIVE):
            plan.seat_needs[key].append((person["id"], seat["id"] if seat else None))


def _plan_seat(row: dict[str, Any], wanted: bool, may_keep: bool, context: Context, plan: Plan) -> None:
    if row["state"] != GrantState.ACTIVE:
        return  # a revoked seat comes back through seat_needs when wanted again
    if wanted:
        if row["grace_until"] is not None:
            plan.change(row, GrantState.ACTIVE, None, "seat.grace_ended")
        return
    pool = context.pools.get(row["key"])
    grace_days = pool.grace_days if pool is not None and may_keep else 0
    if grace_days and row["grace_until"] is None:
        plan.change(row, GrantState.ACTIVE, context.now + timedelta(days=grace_days), "seat.grace_started")
    elif not grace_days or row["grace_until"] <= context.now:
        plan.change(row, GrantState.REVOKED, None, "seat.reclaimed")
        plan.released[row["key"]] += 1


def _removal_state(origin_key: str, active_person: bool, context: Context) -> str:
    """What a grant whose origin no longer asks for it becomes."""
    if origin_key.startswith("rule:"):
        rule = context.rules.get(int(origin_key[5:]))
        policy = rule.removal_policy if rule is not None else RemovalPolicy.SUSPEND
        if policy == RemovalPolicy.REVOKE:
            return GrantState.REVOKED
        if policy == RemovalPolicy.KEEP and active_person:
            return GrantState.ACTIVE
        return GrantState.SUSPENDED
    # An expired or removed manual allow, a left HR mapping cell: the right ends.
    return GrantState.REVOKED


def _apply(plan: Plan, context: Context, actor: Actor, names: dict[uuid.UUID, str]) -> None:
    if plan.seat_needs:
        _assign_seats(plan, context)
    for (state, grace), grant_ids in plan.updates.items():
        Grant.objects.filter(pk__in=grant_ids).update(state=state, grace_until=grace, updated_at=context.now)
    insert_rows(Grant, GRANT_COLUMNS, plan.creates)
    touched = set(plan.released) | set(plan.seat_needs)
    if touched:
        check_utilization(sorted(context.pools[k].pk for k in touched), actor=actor)
    insert_rows(
        AuditEvent,
        AUDIT_COLUMNS,
        [
            (
                context.now,
                actor.type,
                actor.id,
                actor.label[:255],
                action,
                "user",
                str(user_id),
                names.get(user_id, "")[:255],
                actor.connection_id,
                changes,
                {"grant": key, "target": context.labels.get(key, key), "origin": origin_key},
            )
            for user_id, action, key, origin_key, changes in plan.events
        ],
    )
    if plan.events:
        seal_after_commit()


def _assign_seats(plan: Plan, context: Context) -> None:
    """Give seats to the people who need one, never more than the pool has. The pool rows are locked (in
    primary-key order) and the seats in use counted under the lock, so parallel reconcilers serialise
    here and the count each sees includes every seat committed before it. Seats this chunk is about to
    reclaim count as free."""
    pool_ids = sorted(context.pools[key].pk for key in plan.seat_needs)
    locked = LicensePool.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk")
    pools = {f"seat:{p.pk}": p for p in locked}
    used = dict(
        Grant.objects.filter(pool_id__in=pool_ids, target_type=TargetType.SEAT, state=GrantState.ACTIVE)
        .values_list("pool_id")
        .annotate(n=Count("id"))
        .values_list("pool_id", "n")
    )
    for key, needs in plan.seat_needs.items():
        pool = pools.get(key)
        if pool is None:
            continue
        free = max(0, pool.seat_count - used.get(pool.pk, 0) + plan.released[key])
        for user_id, grant_id in needs[:free]:
            if grant_id is None:
                plan.create(user_id, key, LICENSE, "seat.assigned")
            else:
                row = {"id": grant_id, "user_id": user_id, "key": key, "origin_key": LICENSE}
                plan.change(
                    row | {"state": GrantState.REVOKED, "grace_until": None},
                    GrantState.ACTIVE,
                    None,
                    "seat.assigned",
                )
        plan.summary["seats_unavailable"] += max(0, len(needs) - free)
        context.pools[key] = pool


def _harsher(a: str, b: str) -> str:
    return a if SEVERITY[GrantState(a)] >= SEVERITY[GrantState(b)] else b


def _verb(state: str) -> str:
    return {GrantState.ACTIVE: "activated", GrantState.SUSPENDED: "suspended", GrantState.REVOKED: "revoked"}[
        GrantState(state)
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unique_ids(user_ids: Iterable[Any]) -> set[uuid.UUID]:
    ids = set()
    for raw in user_ids:
        ids.add(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(getattr(raw, "pk", raw))))
    return ids


def _all_user_ids(chunk_size: int) -> Iterator[list[uuid.UUID]]:
    last: uuid.UUID | None = None
    while True:
        rows = User.objects.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        chunk = list(rows.values_list("pk", flat=True)[:chunk_size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]
