"""The outbox dispatcher: turns committed identity changes into a few coalesced tasks.

A batch of undispatched events is claimed with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL; on SQLite
the write transaction itself serialises drainers), the people they touch are merged into one set, and
that set is published as reconcile tasks of at most OUTBOX_RECONCILE_CHUNK people each, so a burst of
10,000 PATCHes becomes a handful of recomputes. The events are marked dispatched in the same
transaction: if publishing fails (broker down) the transaction rolls back and the events wait for the
next drain; if the commit fails after publishing, the tasks run twice, which the level-triggered
reconciler makes harmless.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from courses.services.rules import RULE_CHANGED
from lms_identity.models import Membership, OutboxEvent
from lms_identity.services import outbox
from provisioning import queue

from .alerts import alert_break_glass, alert_refused_adoption
from .latency import leavers_of
from .mass_deactivation import hold_mass_deactivations

log = logging.getLogger("provisioning.outbox")

PEOPLE_KINDS = {
    outbox.USER_CHANGED,
    outbox.USER_DEACTIVATED,
    outbox.USER_DELETED,
    outbox.GROUP_CHANGED,
    outbox.MEMBERSHIP_CHANGED,
}


@dataclass
class DispatchPlan:
    """What one batch of events asks for, merged."""

    user_ids: set[str] = field(default_factory=set)
    group_ids: set[str] = field(default_factory=set)
    leavers: dict[str, list[Any]] = field(default_factory=dict)
    rule_ids: set[int] = field(default_factory=set)
    refused_adoptions: list[dict[str, Any]] = field(default_factory=list)
    break_glass: list[dict[str, Any]] = field(default_factory=list)
    ignored: int = 0

    def add(self, event: OutboxEvent) -> None:
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.kind in PEOPLE_KINDS:
            self.user_ids.update(str(u) for u in payload.get("user_ids", []))
            if event.kind == outbox.GROUP_CHANGED and not payload.get("user_ids"):
                # A renamed or edited group: its members' rule matches may change.
                self.group_ids.update(str(g) for g in payload.get("group_ids", []))
            self.leavers.update(leavers_of(event))
        elif event.kind == RULE_CHANGED and payload.get("rule_id") is not None:
            self.rule_ids.add(int(payload["rule_id"]))
        elif event.kind == outbox.ADOPTION_REFUSED:
            self.refused_adoptions.append(payload)
        elif event.kind == outbox.BREAK_GLASS:
            self.break_glass.append(payload)
        else:
            self.ignored += 1

    def chunks(self, size: int) -> list[tuple[list[str], dict[str, list[Any]]]]:
        ids = sorted(self.user_ids)
        return [
            (part, {u: self.leavers[u] for u in part if u in self.leavers})
            for part in (ids[i : i + size] for i in range(0, len(ids), size))
        ]


def drain_outbox(*, batch_size: int | None = None, max_batches: int = 100) -> dict[str, int]:
    """Dispatch every pending event (up to max_batches x batch_size). Safe to run on many workers at once:
    each claims different rows. Broker errors propagate after the batch is rolled back and its attempt
    recorded, so the task can retry. Returns counts."""
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    totals = {"events": 0, "tasks": 0, "people": 0, "ignored": 0, "held": 0}
    for _ in range(max_batches):
        counts = _dispatch_batch(batch_size)
        if not counts["events"]:
            break
        for key in totals:
            totals[key] += counts[key]
    return totals


def _dispatch_batch(batch_size: int) -> dict[str, int]:
    claimed: list[int] = []
    try:
        with transaction.atomic():
            pending = OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            events = list(pending[:batch_size])
            claimed = [e.pk for e in events]
            if not events:
                return {"events": 0, "tasks": 0, "people": 0, "ignored": 0, "held": 0}
            plan = DispatchPlan()
            for event in events:
                plan.add(event)
            if plan.group_ids:
                members = Membership.objects.filter(group_id__in=plan.group_ids).values_list(
                    "user_id", flat=True
                )
                plan.user_ids.update(str(u) for u in members)
            held = hold_mass_deactivations(plan.user_ids)
            plan.user_ids -= held
            tasks = _publish(plan)
            for refusal in plan.refused_adoptions:
                alert_refused_adoption(refusal)
            for attempt in plan.break_glass:
                alert_break_glass(attempt)
            OutboxEvent.objects.filter(pk__in=claimed).update(
                dispatched_at=timezone.now(), attempts=F("attempts") + 1
            )
    except Exception as exc:
        if claimed:
            OutboxEvent.objects.filter(pk__in=claimed, dispatched_at__isnull=True).update(
                attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:500]
            )
        raise
    return {
        "events": len(events),
        "tasks": tasks,
        "people": len(plan.user_ids),
        "ignored": plan.ignored,
        "held": len(held),
    }


def _publish(plan: DispatchPlan) -> int:
    sent = 0
    for user_ids, leavers in plan.chunks(settings.OUTBOX_RECONCILE_CHUNK):
        queue.publish(queue.RECONCILE_PEOPLE, {"user_ids": user_ids, "leavers": leavers})
        sent += 1
    for rule_id in sorted(plan.rule_ids):
        queue.publish(queue.RECOMPUTE_RULE, {"rule_id": rule_id})
        sent += 1
    return sent
