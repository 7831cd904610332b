"""Applying a chunk's plan: seats first (under the pools' locks), then the grant updates and inserts, the
pools' utilization alerts, and one audit event per changed grant, all with bulk statements."""

import uuid

from lms_identity.models import AuditEvent
from lms_identity.models.audit import RECORDED_FIELDS
from lms_identity.services.audit import Actor
from lms_identity.services.audit_sealer import seal_after_commit

from ..bulk_insert import insert_rows
from ..models import Grant
from ..services.pools import check_utilization
from ..targets import ID_FIELDS
from .context import Context
from .plan import Plan
from .seats import assign_seats, read_waits

# The order of Plan.creates' tuples.
GRANT_COLUMNS = (
    "user_id",
    "target_type",
    *ID_FIELDS,
    "origin",
    "origin_key",
    "key",
    "rule_id",
    "state",
    "grace_until",
    "created_at",
    "updated_at",
)
AUDIT_COLUMNS = RECORDED_FIELDS


def apply_plan(plan: Plan, context: Context, actor: Actor, names: dict[uuid.UUID, str]) -> None:
    """Write a chunk's plan inside the chunk's transaction (the caller holds the people's row locks)."""
    waits = read_waits(plan, context)
    if plan.seat_needs:
        assign_seats(plan, context, waits)
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
        seal_after_commit()  # bulk-inserted events join the audit chain like record_event's
