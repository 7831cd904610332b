"""The dashboard's figures and charts, kept in the shared cache: they are aggregates over everyone (every
seat, every SCIM change of four weeks), so at 100,000 people they cost seconds, too much for each page
view. Beat recomputes them every minute (`provisioning.refresh_dashboard`); a page view reads the kept
copy when it is younger than DASHBOARD_MAX_AGE_SECONDS and computes it itself only when none is (a cold
cache, a stopped beat). DASHBOARD_MAX_AGE_SECONDS=0 computes them on every view. The open alerts are not
kept: the page reads them live."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .dashboard_queries import dashboard_figures
from .dashboard_series import dashboard_series

CACHE_KEY = "provisioning:dashboard:v1"


@dataclass(frozen=True)
class DashboardSnapshot:
    figures: dict[str, Any]
    series: dict[str, Any]
    computed_at: datetime


def max_age() -> timedelta:
    return timedelta(seconds=max(0, int(settings.DASHBOARD_MAX_AGE_SECONDS)))


def refresh_dashboard() -> DashboardSnapshot:
    """Compute the figures and series now and keep them for the next page views. Reads only; a repeat
    replaces the kept copy."""
    snapshot = DashboardSnapshot(dashboard_figures(), dashboard_series(), timezone.now())
    if max_age():
        # Kept a while past its age, so a slow beat leaves the page its last copy to compare against.
        cache.set(CACHE_KEY, snapshot, timeout=int(max_age().total_seconds()) * 10)
    return snapshot


def get_dashboard() -> DashboardSnapshot:
    """The kept figures when young enough, else freshly computed (and kept)."""
    if max_age():
        kept = cache.get(CACHE_KEY)
        if isinstance(kept, DashboardSnapshot) and kept.computed_at >= timezone.now() - max_age():
            return kept
    return refresh_dashboard()
