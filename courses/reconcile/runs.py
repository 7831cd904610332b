"""The runs: reconcile named people, or everyone a chunk at a time; each chunk reads its people's rows in a
fixed number of queries, plans, and applies the plan in one transaction."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction

from lms_identity.models import Membership, User
from lms_identity.services.audit import Actor

from ..matching import PERSON_FIELDS, matching_user_ids
from ..models import EntitlementRule, Grant, GrantState, Override
from ..services.admin_access import list_holders_of_admin_power, sync_admin_access
from ..targets import TargetType, rule_origin_key
from .apply import apply_plan
from .context import Context
from .plan import Plan, plan_person
from .seats import waiting_for_seats

CHUNK = 2000
# People named by id are read with IN lists of this many ids: fewer, larger lists cost less per person.
PEOPLE_CHUNK = 5000
ANALYZE_AFTER = 10_000
ROLE_PREFIX = f"{TargetType.ROLE}:"


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
    waiting = waiting_for_seats(released, context, exclude=set(ids))
    if waiting:
        offered = Counter(_reconcile_chunk(waiting, context, actor, Counter()))
        summary["assigned"] += offered["assigned"]
    summary["people"] += 0
    return dict(summary)


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
            Grant.objects.filter(origin_key=rule_origin_key(rule.pk))
            .exclude(state=GrantState.REVOKED)
            .values_list("user_id", flat=True)
        )
    return affected


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
            plan_person(
                person, groups[person["id"]], overrides[person["id"]], grants[person["id"]], context, plan
            )
        apply_plan(plan, context, actor, names)
        # Staff status and permissions follow the role grants just written (courses.services.admin_access);
        # the full walk also re-checks whoever holds admin power without a role change (made by hand).
        access_ids = {user_id for user_id, _, key, _, _ in plan.events if key.startswith(ROLE_PREFIX)}
        if whole_range and found:
            access_ids.update(list_holders_of_admin_power(found))
        if access_ids:
            access = sync_admin_access(access_ids, actor=actor)
            plan.summary["admin_access_changed"] += access["changed"]
    plan.summary["people"] += len(people)
    if released is not None:
        released.update(plan.released)
    return plan.summary


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
