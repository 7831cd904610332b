"""Deprovisioning latency per leaver: IdP request received -> sessions gone -> seats reclaimed."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lms_identity.models import OutboxEvent
from lms_identity.services import outbox
from provisioning.models import DeprovisioningLatency

LEAVER_KINDS = (outbox.USER_DEACTIVATED, outbox.USER_DELETED)


def leavers_of(event: OutboxEvent) -> dict[str, list[Any]]:
    """{user_id: [event id, kind, requested_at, sessions_gone_at]} for a leaver event, else {}.

    Sessions end inside the deactivating transaction, before the outbox row is written, so the row's
    creation time is when the sessions were gone (they are invisible to others from the commit on,
    milliseconds later)."""
    if event.kind not in LEAVER_KINDS:
        return {}
    requested = event.payload.get("requested_at") or event.created_at.isoformat()
    return {
        str(uid): [event.pk, event.kind, requested, event.created_at.isoformat()]
        for uid in event.payload.get("user_ids", [])
    }


def record_seats_reclaimed(leavers: dict[str, list[Any]], *, at: datetime | None = None) -> int:
    """Write one latency row per leaver whose grants were just reconciled. A redelivered task writes
    nothing new (one row per event and person). Returns the rows written."""
    at = at or timezone.now()
    rows = []
    for user_id, (event_id, kind, requested, sessions_gone) in leavers.items():
        requested_at = parse_datetime(requested) or at
        rows.append(
            DeprovisioningLatency(
                user_id=user_id,
                event_kind=kind,
                outbox_event_id=event_id,
                requested_at=requested_at,
                sessions_gone_at=parse_datetime(sessions_gone) or requested_at,
                seats_reclaimed_at=at,
            )
        )
    created = DeprovisioningLatency.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_summary(rows: QuerySet[DeprovisioningLatency] | None = None) -> dict[str, float | int | None]:
    """p50/p99 seconds to sessions gone and to seats reclaimed, for the dashboard and the benchmark."""
    rows = rows if rows is not None else DeprovisioningLatency.objects.all()
    sessions, seats = [], []
    for row in rows.only("requested_at", "sessions_gone_at", "seats_reclaimed_at").iterator():
        sessions.append(row.to_sessions_gone)
        if row.to_seats_reclaimed is not None:
            seats.append(row.to_seats_reclaimed)
    return {
        "leavers": len(sessions),
        "sessions_gone_p50": percentile(sessions, 0.5),
        "sessions_gone_p99": percentile(sessions, 0.99),
        "seats_reclaimed_p50": percentile(seats, 0.5),
        "seats_reclaimed_p99": percentile(seats, 0.99),
    }
