"""Planning: one person's desired grants, compared with their current ones, become the writes of a Plan.

Pure Python over rows already read: no query here. `apply` writes a chunk's plan; `seats` decides which
of the seats people need the pools can give."""

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ..models import GrantState, OverrideEffect, RemovalPolicy
from ..targets import (
    MANUAL_ORIGIN_KEY,
    POOL_ORIGIN_KEY,
    TargetType,
    is_seat_key,
    origin_of,
    parse_target_key,
    rule_id_of,
    target_ids,
)
from .context import Context

SEVERITY = {GrantState.ACTIVE: 0, GrantState.SUSPENDED: 1, GrantState.REVOKED: 2}
VERB = {GrantState.ACTIVE: "activated", GrantState.SUSPENDED: "suspended", GrantState.REVOKED: "revoked"}


@dataclass
class Plan:
    """The writes one chunk needs."""

    creates: list[tuple[Any, ...]] = field(default_factory=list)  # rows in apply.GRANT_COLUMNS order
    # (new state, grace_until) -> grant ids
    updates: dict[tuple[str, datetime | None], list[int]] = field(default_factory=lambda: defaultdict(list))
    # seat key -> [(user id, existing grant id or None)]
    seat_needs: dict[str, list[tuple[uuid.UUID, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    events: list[tuple[uuid.UUID, str, str, str, dict[str, Any]]] = field(default_factory=list)
    released: Counter[str] = field(default_factory=Counter)
    # person id -> the seat keys (of existing pools) they want: who else is on a waiting list leaves it
    seat_wishes: dict[uuid.UUID, set[str]] = field(default_factory=dict)
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
        target_type, target_id = parse_target_key(key)
        self.creates.append(
            (
                user_id,
                target_type,
                *target_ids(target_type, target_id),
                origin_of(origin_key),
                origin_key,
                key,
                rule_id_of(origin_key),
                GrantState.ACTIVE,
                None,
                self.now,
                self.now,
            )
        )
        self.events.append((user_id, action, key, origin_key, {"state": [None, GrantState.ACTIVE]}))
        self.summary[action.split(".", 1)[1]] += 1


def desired_for(
    person: dict[str, Any], group_ids: set[uuid.UUID], overrides: list[tuple[str, str]], context: Context
) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(desired (target key, origin key) pairs, wanted seat keys, denied target keys) for one person."""
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
            if is_seat_key(key):
                seats.add(key)
            else:
                desired.add((key, MANUAL_ORIGIN_KEY))
    return desired, seats - denied, denied


def plan_person(
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
        if is_seat_key(key):
            _plan_seat(row, key in seats, active_person and key not in denied, context, plan)
            continue
        state = row["state"]
        if (key, origin_key) in desired:
            target = _harsher(state, GrantState.SUSPENDED) if key in denied else GrantState.ACTIVE
        else:
            target = _harsher(state, _removal_state(origin_key, active_person, context))
        if target != state:
            plan.change(row, target, None, f"grant.{VERB[GrantState(target)]}")
    for key, origin_key in desired - current.keys():
        if key not in denied:
            plan.create(person["id"], key, origin_key)
    plan.seat_wishes[person["id"]] = {key for key in seats if key in context.pools}
    for key in plan.seat_wishes[person["id"]]:
        seat = current.get((key, POOL_ORIGIN_KEY))
        if seat is None or seat["state"] != GrantState.ACTIVE:
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
    rule_id = rule_id_of(origin_key)
    if rule_id is not None:
        rule = context.rules.get(rule_id)
        policy = rule.removal_policy if rule is not None else RemovalPolicy.SUSPEND
        if policy == RemovalPolicy.REVOKE:
            return GrantState.REVOKED
        if policy == RemovalPolicy.KEEP and active_person:
            return GrantState.ACTIVE
        return GrantState.SUSPENDED
    # An expired or removed manual allow, a left HR mapping cell: the right ends.
    return GrantState.REVOKED


def _harsher(a: str, b: str) -> str:
    return a if SEVERITY[GrantState(a)] >= SEVERITY[GrantState(b)] else b


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
