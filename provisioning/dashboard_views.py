"""The admin dashboard page: an edge that renders the dashboard's figures, series and open alerts."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from courses.capabilities import DASHBOARD_PERMISSION

from .dashboard_snapshot import get_dashboard
from .services.alerts import list_open_alerts

ALERTS_SHOWN = 10


def bar_charts(figures: dict[str, Any]) -> dict[str, Any]:
    """The bar charts drawn from the figures already read (no further query)."""
    mfa, seats = figures["mfa"], figures["seats"]
    return {
        "mfa": {
            "labels": [row["connection"] for row in mfa],
            "datasets": [{"label": "% of sign-ins with MFA", "data": [row["percent"] for row in mfa]}],
        },
        "seats_at_risk": {
            "labels": [pool["product"] for pool in seats],
            "datasets": [
                {"label": "held by inactive people", "data": [p["held_by_inactive"] for p in seats]},
                {"label": "held by idle people", "data": [p["held_idle"] for p in seats]},
            ],
        },
    }


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # Signed in to the admin is not enough: the figures are for roles with the dashboards capability.
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied("Your roles do not include the dashboards.")
    snapshot = get_dashboard()
    figures = snapshot.figures
    context = {
        **admin.site.each_context(request),
        "title": "Identity dashboard",
        **figures,
        "computed_at": snapshot.computed_at,
        "charts": {**snapshot.series, **bar_charts(figures)},
        "alerts": list(list_open_alerts()[:ALERTS_SHOWN]),
    }
    return TemplateResponse(request, "provisioning/dashboard.html", context)
