"""Seats: handing out what the pools have, never more, and finding who waits for a seat given back.

The waiting list is first come, first served: a person who needs a seat and finds none is recorded as
waiting since then (SeatWait), and free seats go to the longest-waiting first, then (people not yet on
the list) in primary-key order, so repeated runs agree."""

import uuid
from collections import Counter
from datetime import datetime

from ..matching import matching_user_ids
from ..models import EntitlementRule, Grant, GrantState, LicensePool, SeatWait
from ..services.pools import seats_in_use
from ..targets import POOL_ORIGIN_KEY, TargetType, seat_key
from .context import Context
from .plan import Plan


def assign_seats(
    plan: Plan, context: Context, waiting_since: dict[tuple[int, uuid.UUID], tuple[int, datetime]]
) -> None:
    """Give seats to the people who need one, never more than the pool has. The pool rows are locked (in
    primary-key order) and the seats in use counted under the lock, so parallel reconcilers serialise
    here and the count each sees includes every seat committed before it. Seats this chunk is about to
    reclaim count as free. `waiting_since`: read_waits of the chunk."""
    pool_ids = sorted(context.pools[key].pk for key in plan.seat_needs)
    locked = LicensePool.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk")
    pools = {seat_key(p.pk): p for p in locked}
    used = seats_in_use(pool_ids)
    seated: list[tuple[int, uuid.UUID]] = []
    unseated: list[SeatWait] = []
    for key, needs in plan.seat_needs.items():
        pool = pools.get(key)
        if pool is None:
            continue
        free = max(0, pool.seat_count - used.get(pool.pk, 0) + plan.released[key])
        needs = _first_come(needs, pool.pk, waiting_since)
        seated += [(pool.pk, user_id) for user_id, _ in needs[:free]]
        unseated += [SeatWait(pool=pool, user_id=user_id, since=context.now) for user_id, _ in needs[free:]]
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
    _record_waits(seated, unseated, waiting_since)


def read_waits(plan: Plan, context: Context) -> dict[tuple[int, uuid.UUID], tuple[int, datetime]]:
    """The chunk's people's places on the waiting lists, (id, since) by (pool, person). Who no longer
    wants a pool's seat leaves its list here and now, so coming back later puts them at its end, not at
    the place they had. One query when pools exist, one more when someone leaves."""
    if not context.pools or not plan.seat_wishes:
        return {}
    wished = {(context.pools[key].pk, user_id) for user_id, keys in plan.seat_wishes.items() for key in keys}
    rows = SeatWait.objects.filter(user_id__in=list(plan.seat_wishes))
    waits, stale = {}, []
    for pk, pool_id, user_id, since in rows.values_list("pk", "pool_id", "user_id", "since"):
        if (pool_id, user_id) in wished:
            waits[(pool_id, user_id)] = (pk, since)
        else:
            stale.append(pk)
    if stale:
        SeatWait.objects.filter(pk__in=stale).delete()
    return waits


def _first_come(
    needs: list[tuple[uuid.UUID, int | None]],
    pool_id: int,
    waits: dict[tuple[int, uuid.UUID], tuple[int, datetime]],
) -> list[tuple[uuid.UUID, int | None]]:
    """The longest-waiting first; people not on the list yet after them, by id."""

    def order(need: tuple[uuid.UUID, int | None]) -> tuple[bool, float, uuid.UUID]:
        wait = waits.get((pool_id, need[0]))
        return (wait is None, wait[1].timestamp() if wait else 0.0, need[0])

    return sorted(needs, key=order)


def _record_waits(
    seated: list[tuple[int, uuid.UUID]],
    unseated: list[SeatWait],
    waits: dict[tuple[int, uuid.UUID], tuple[int, datetime]],
) -> None:
    """People who got a seat leave the list; people who found none join it (keeping their first since).
    No query when nobody seated was waiting and nobody is left without a seat."""
    done = [waits[pair][0] for pair in seated if pair in waits]
    if done:
        SeatWait.objects.filter(pk__in=done).delete()
    if unseated:
        SeatWait.objects.bulk_create(unseated, ignore_conflicts=True)


def waiting_for_seats(
    released: Counter[str], context: Context, *, exclude: set[uuid.UUID]
) -> list[uuid.UUID]:
    """Up to as many people as seats were freed, per pool, who match an enabled rule of the pool and hold
    no seat in it: the longest-waiting first (SeatWait), then people not on the list by id. People on the
    list whom the pool's rules no longer select stop waiting (their row goes), so coming back later puts
    them at the end of the queue."""
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
        queue = list(
            SeatWait.objects.filter(pool=pool).order_by("since", "user_id").values_list("pk", "user_id")
        )
        gone = [pk for pk, user_id in queue if user_id not in candidates]
        if gone:
            SeatWait.objects.filter(pk__in=gone).delete()
        eligible = candidates - holders - exclude
        listed = [user_id for _, user_id in queue if user_id in eligible]
        rest = sorted(eligible - set(listed))
        waiting.update((listed + rest)[:freed])
    return sorted(waiting)
