"""Reads for the admin console's catalog side: a person's grants and seats in words (one query per person,
whatever the number of grants), and a license pool's holders and waiting list."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, OuterRef, Subquery

from lms_identity.models import User

from .matching import matching_user_ids
from .models import EntitlementRule, Grant, GrantState, LicensePool, Origin, SeatWait
from .queries import list_person_grants


@dataclass(frozen=True)
class GrantRow:
    target_type: str
    target_title: str
    target_url_name: str
    target_id: int | None
    origin: str
    rule_id: int | None
    state: str
    state_label: str
    grace_until: datetime | None
    updated_at: datetime


TARGET_PAGES = {
    "course": "admin:courses_course_change",
    "path": "admin:courses_learningpath_change",
    "role": "admin:courses_roletemplate_change",
    "seat": "admin:courses_licensepool_change",
}


def origin_label(grant: Grant) -> str:
    """Where the grant came from, in words: the rule by name, an override, the HR mapping, a license."""
    if grant.origin == Origin.RULE:
        return f"Rule “{grant.rule.name}”" if grant.rule is not None else "A rule since deleted"
    return str(Origin(grant.origin).label)


def _row(grant: Grant) -> GrantRow:
    target: Any = grant.target
    return GrantRow(
        target_type=grant.get_target_type_display(),
        target_title=str(target) if target is not None else grant.key,
        target_url_name=TARGET_PAGES[grant.target_type],
        target_id=getattr(target, "pk", None),
        origin=origin_label(grant),
        rule_id=grant.rule_id,
        state=grant.state,
        state_label=grant.get_state_display(),
        grace_until=grant.grace_until,
        updated_at=grant.updated_at,
    )


def person_access(user_id: Any) -> dict[str, Any]:
    """The person's grants other than seats, and their seats, active first. One query."""
    rows = sorted(list_person_grants(user_id), key=lambda g: (g.state != GrantState.ACTIVE, g.key))
    return {
        "grants": [_row(g) for g in rows if g.target_type != "seat"],
        "seats": [_row(g) for g in rows if g.target_type == "seat"],
    }


LIST_LIMIT = 50


def bar_level(percent: int) -> str:
    """The utilization bar's colour class: full at 100 %, warn from 75 % (the alert levels)."""
    return "full" if percent >= 100 else "warn" if percent >= 75 else ""


def pool_overview(pool: LicensePool) -> dict[str, Any]:
    """Who holds the pool's seats (newest first) and who waits for one: people an enabled seat rule of
    the pool selects who hold no active seat, longest waiting first (first come, first served; people not
    on the list yet after them). A fixed number of queries (one per rule of the pool)."""
    holders = (
        Grant.objects.filter(pool=pool, target_type="seat", state=GrantState.ACTIVE)
        .select_related("user")
        .order_by("-created_at", "pk")
    )
    held = holders.count()
    matching: set[Any] = set()
    for rule in EntitlementRule.objects.filter(enabled=True, target_type="seat", pool=pool):
        matching |= matching_user_ids(rule)
    holder_ids = set(holders.values_list("user_id", flat=True))
    waiting_ids = matching - holder_ids
    since = SeatWait.objects.filter(pool=pool, user=OuterRef("pk")).values("since")[:1]
    waiting = (
        User.objects.filter(pk__in=waiting_ids)
        .annotate(waiting_since=Subquery(since))
        .order_by(F("waiting_since").asc(nulls_last=True), "pk")
    )
    percent = round(100 * held / pool.seat_count) if pool.seat_count else (100 if held else 0)
    return {
        "held": held,
        "percent": percent,
        "bar_width": min(percent, 100),
        "bar_level": bar_level(percent),
        "holders": list(holders[:LIST_LIMIT]),
        "waiting_count": len(waiting_ids),
        "waiting": list(waiting[:LIST_LIMIT]),
    }
