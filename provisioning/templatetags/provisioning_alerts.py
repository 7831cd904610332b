"""The admin banner of open alerts (failed jobs, the safety brake, a stuck outbox)."""

from typing import Any

from django import template

from provisioning.services.alerts import list_open_alerts

register = template.Library()

BANNER_LIMIT = 5


@register.inclusion_tag("provisioning/alert_banner.html", takes_context=True)
def alert_banner(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    if user is None or not getattr(user, "is_staff", False):
        return {"alerts": [], "more": 0}
    alerts = list(list_open_alerts()[: BANNER_LIMIT + 1])
    return {"alerts": alerts[:BANNER_LIMIT], "more": max(0, len(alerts) - BANNER_LIMIT)}
