"""Seats: handing out what the pools have, never more, and finding who waits for a seat given back."""

import uuid
from collections import Counter

from ..matching import matching_user_ids
from ..models import EntitlementRule, Grant, GrantState, LicensePool
from ..services.pools import seats_in_use
from ..targets import POOL_ORIGIN_KEY, TargetType, seat_key
from .context import Context
from .plan import Plan


def assign_seats(plan: Plan, context: Context) -> None:
    """Give seats to the people who need one, never more than the pool has. The pool rows are locked (in
    primary-key order) and the seats in use counted under the lock, so parallel reconcilers serialise
    here and the count each sees includes every seat committed before it. Seats this chunk is about to
    reclaim count as free."""
    pool_ids = sorted(context.pools[key].pk for key in plan.seat_needs)
    locked = LicensePool.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk")
    pools = {seat_key(p.pk): p for p in locked}
    used = seats_in_use(pool_ids)
    for key, needs in plan.seat_needs.items():
        pool = pools.get(key)
        if pool is None:
            continue
        free = max(0, pool.seat_count - used.get(pool.pk, 0) + plan.released[key])
        for user_id, grant_id in needs[:free]:
            if grant_id is None:
                plan.create(user_id, key, POOL_ORIGIN_KEY, "seat.assigned")
            else:
                row = {"id": grant_id, "user_id": user_id, "key": key, "origin_key": POOL_ORIGIN_KEY}
                plan.change(
                    row | {"state": GrantState.REVOKED, "grace_until": None},
                    GrantState.ACTIVE,
                    None,
                    "seat.assigned",
                )
        plan.summary["seats_unavailable"] += max(0, len(needs) - free)
        context.pools[key] = pool


def waiting_for_seats(
    released: Counter[str], context: Context, *, exclude: set[uuid.UUID]
) -> list[uuid.UUID]:
    """Up to as many people as seats were freed, per pool, who match an enabled rule of the pool and hold
    no seat in it, in primary-key order (first come by id, so repeated runs agree)."""
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
