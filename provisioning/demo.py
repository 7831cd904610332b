"""The demo's job history: a few weeks of leavers with how fast they lost access, so the dashboard's
latency chart has points after `make run`."""

import uuid
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from provisioning.models import DeprovisioningLatency

WEEKS = 8
# (seconds to sessions gone, seconds to seats reclaimed) for the leavers of each week, oldest week first
LEAVERS_PER_WEEK = [
    [(0.21, 4.0), (0.35, 6.5)],
    [(0.18, 3.1), (0.40, 9.0), (0.25, 5.2)],
    [(0.30, 7.4)],
    [(0.15, 2.8), (0.22, 3.6)],
    [(0.19, 2.5), (0.27, 4.4), (0.33, 3.9)],
    [(0.12, 2.2)],
    [(0.14, 1.9), (0.16, 2.4)],
    [(0.11, 1.6), (0.13, 2.0)],
]
DEMO_EVENT_BASE = 9_000_000
# A messy export of a legacy LMS's accounts, for the clean-up before SCIM (`import_accounts`): a case
# duplicate, people under two emails, the demo's people as the IdP will match them, and a leaver.
LEGACY_ACCOUNTS = (
    Path(__file__).resolve().parent / "demo_data" / "legacy_accounts.csv"
)  # outbox event ids far above the demo's real ones


def seed_leaver_history() -> int:
    """Write the demo leavers' latency rows if none exist yet. Idempotent; returns rows written."""
    if DeprovisioningLatency.objects.filter(outbox_event_id__gte=DEMO_EVENT_BASE).exists():
        return 0
    now = timezone.now()
    rows = []
    for week, leavers in enumerate(LEAVERS_PER_WEEK):
        for n, (to_sessions, to_seats) in enumerate(leavers):
            requested = now - timedelta(weeks=WEEKS - 1 - week, days=1 + n)
            rows.append(
                DeprovisioningLatency(
                    user_id=uuid.uuid4(),
                    event_kind="user.deactivated",
                    outbox_event_id=DEMO_EVENT_BASE + week * 10 + n,
                    requested_at=requested,
                    sessions_gone_at=requested + timedelta(seconds=to_sessions),
                    seats_reclaimed_at=requested + timedelta(seconds=to_seats),
                )
            )
    DeprovisioningLatency.objects.bulk_create(rows)
    return len(rows)
