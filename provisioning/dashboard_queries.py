"""The L&D admin's dashboard figures: deprovisioning latency, MFA adoption, orphaned accounts and
unused license seats. Reads only; each figure costs a fixed number of queries."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from courses.models import Grant, GrantState, LicensePool
from lms_identity.models.oidc import LoginRecord
from provisioning.models import DeprovisioningLatency, JobKind
from provisioning.services.job_runs import get_sweep_settings
from provisioning.services.latency import latency_summary
from provisioning.sweeps.registry import get_sweep

WINDOW = timedelta(days=30)


def mfa_adoption(since: Any) -> list[dict[str, Any]]:
    """Per connection: SSO sign-ins since `since` and the share with MFA evidenced by the IdP."""
    rows = (
        LoginRecord.objects.filter(at__gte=since)
        .values("connection__slug")
        .annotate(logins=Count("id"), with_mfa=Count("id", filter=Q(mfa_evidenced=True)))
        .order_by("connection__slug")
    )
    return [
        {
            "connection": row["connection__slug"],
            "logins": row["logins"],
            "with_mfa": row["with_mfa"],
            "percent": round(100 * row["with_mfa"] / row["logins"]) if row["logins"] else 0,
        }
        for row in rows
    ]


def seat_usage(idle_since: Any) -> list[dict[str, Any]]:
    """Per license pool: seats, seats held, held by people no longer active, held by people who have
    not signed in since `idle_since` (candidates for reclaiming). Two queries."""
    idle = Q(user__last_login__lt=idle_since) | Q(user__last_login__isnull=True)
    counts = {
        row["pool_id"]: row
        for row in Grant.objects.filter(pool__isnull=False, state=GrantState.ACTIVE)
        .values("pool_id")
        .annotate(
            held=Count("id"),
            held_by_inactive=Count("id", filter=Q(user__is_active=False)),
            held_idle=Count("id", filter=Q(user__is_active=True) & idle),
        )
        .order_by()
    }
    usage = []
    for pool in LicensePool.objects.order_by("product"):
        row: dict[str, Any] = dict(counts.get(pool.pk, {}))
        held = row.get("held", 0)
        usage.append(
            {
                "product": pool.product,
                "seats": pool.seat_count,
                "held": held,
                "free": max(pool.seat_count - held, 0),
                "held_by_inactive": row.get("held_by_inactive", 0),
                "held_idle": row.get("held_idle", 0),
            }
        )
    return usage


def orphaned_accounts() -> int:
    """People the orphaned-accounts sweep would act on now (no IdP backing, no recent sign-in)."""
    sweep = get_sweep(JobKind.ORPHANED_ACCOUNTS)
    return sweep.candidates(get_sweep_settings(JobKind.ORPHANED_ACCOUNTS), {}).count()


def dashboard_figures() -> dict[str, Any]:
    since = timezone.now() - WINDOW
    return {
        "window_days": WINDOW.days,
        "latency": latency_summary(DeprovisioningLatency.objects.filter(requested_at__gte=since)),
        "mfa": mfa_adoption(since),
        "orphaned_accounts": orphaned_accounts(),
        "seats": seat_usage(since),
    }
