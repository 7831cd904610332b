"""The dashboard's charts as time series, read from our own rows: SCIM changes per day per connection,
leaver latency per week, people by source, seat use per pool over time. Each series costs one query,
whatever the number of people; the per-day and per-week arithmetic runs over that query's rows.

What we do not record is not drawn: failed SCIM requests are not stored in this branch (the SCIM
request log will hold them), so the provisioning chart counts the changes connections made (their audit
events), and says so."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from courses.models import Grant, GrantState, LicensePool
from lms_identity.models import AuditEvent, User
from lms_identity.models.audit import ActorType
from lms_identity.models.users import Source
from provisioning.models import DeprovisioningLatency
from provisioning.services.latency import percentile

DAYS = 28
WEEKS = 8


def _days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def scim_changes_per_day(now: datetime, days: int = DAYS) -> dict[str, Any]:
    """Per connection and day: the changes the connection made over SCIM (its audit events)."""
    since = now - timedelta(days=days)
    rows = (
        AuditEvent.objects.filter(actor_type=ActorType.CONNECTION, at__gte=since, connection__isnull=False)
        .annotate(day=TruncDate("at"))
        .values("day", "connection__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_connection: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        per_connection[row["connection__name"]][row["day"]] = row["n"]
    labels = _days(now.date(), days)
    return {
        "labels": [d.isoformat() for d in labels],
        "datasets": [
            {"label": name, "data": [counts.get(d, 0) for d in labels]}
            for name, counts in sorted(per_connection.items())
        ],
    }


def latency_per_week(now: datetime, weeks: int = WEEKS) -> dict[str, Any]:
    """p50 and p95 seconds from the IdP's leaver request to sessions gone and to seats reclaimed, per
    ISO week (Monday first)."""
    monday = now.date() - timedelta(days=now.weekday())
    starts = [monday - timedelta(weeks=offset) for offset in range(weeks - 1, -1, -1)]
    since = timezone.make_aware(datetime.combine(starts[0], datetime.min.time()))
    sessions: dict[date, list[float]] = defaultdict(list)
    seats: dict[date, list[float]] = defaultdict(list)
    rows = DeprovisioningLatency.objects.filter(requested_at__gte=since).values_list(
        "requested_at", "sessions_gone_at", "seats_reclaimed_at"
    )
    for requested, gone, reclaimed in rows.iterator():
        week = requested.date() - timedelta(days=requested.weekday())
        sessions[week].append((gone - requested).total_seconds())
        if reclaimed is not None:
            seats[week].append((reclaimed - requested).total_seconds())

    def series(values: dict[date, list[float]], share: float) -> list[float | None]:
        return [_round(percentile(values.get(week, []), share)) for week in starts]

    return {
        "labels": [f"week of {week:%b %d}" for week in starts],
        "datasets": [
            {"label": "sessions gone p50 (s)", "data": series(sessions, 0.5)},
            {"label": "sessions gone p95 (s)", "data": series(sessions, 0.95)},
            {"label": "seats reclaimed p50 (s)", "data": series(seats, 0.5)},
            {"label": "seats reclaimed p95 (s)", "data": series(seats, 0.95)},
        ],
    }


def people_by_source() -> dict[str, Any]:
    """Active people by where they come from: each IdP connection, just-in-time sign-in, manual."""
    rows = (
        User.objects.active()
        .values("source", "connection__name")
        .annotate(n=Count("id"))
        .order_by("source", "connection__name")
    )
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["source"] == Source.SCIM:
            label = f"IdP: {row['connection__name']}"
        elif row["source"] == Source.JIT:
            label = "Just-in-time (SSO)"
        else:
            label = "Manual"
        totals[label] += row["n"]
    return {"labels": list(totals), "datasets": [{"label": "active people", "data": list(totals.values())}]}


def seat_use_over_time(now: datetime, days: int = DAYS) -> dict[str, Any]:
    """Per pool and day: the share of its seats held at the end of the day. A seat grant is held from
    its creation until it stopped being active (its last update). One query, counted in the database by
    pool, day of creation and day of ending, so what travels is a row per day, not per seat."""
    since = now - timedelta(days=days)
    pools = {p.pk: p for p in LicensePool.objects.order_by("product")}
    changes: dict[int, list[tuple[date, int]]] = defaultdict(list)
    rows = (
        Grant.objects.filter(target_type="seat", pool__isnull=False)
        .filter(Q(state=GrantState.ACTIVE) | Q(updated_at__gte=since))
        .annotate(
            started=TruncDate("created_at"),
            ended=Case(When(state=GrantState.ACTIVE, then=None), default=TruncDate("updated_at")),
        )
        .values("pool_id", "started", "ended")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        changes[row["pool_id"]].append((row["started"], row["n"]))
        if row["ended"] is not None:
            changes[row["pool_id"]].append((row["ended"] + timedelta(days=1), -row["n"]))
    labels = _days(now.date(), days)
    datasets = []
    for pool_id, pool in pools.items():
        events = sorted(changes.get(pool_id, []))
        held, i, data = 0, 0, []
        for day in labels:
            while i < len(events) and events[i][0] <= day:
                held += events[i][1]
                i += 1
            data.append(round(100 * held / pool.seat_count) if pool.seat_count else 0)
        datasets.append({"label": pool.product, "data": data})
    return {"labels": [d.isoformat() for d in labels], "datasets": datasets}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def dashboard_series() -> dict[str, Any]:
    now = timezone.now()
    return {
        "scim_changes": scim_changes_per_day(now),
        "latency": latency_per_week(now),
        "people_by_source": people_by_source(),
        "seat_use": seat_use_over_time(now),
    }
