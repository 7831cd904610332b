"""Reads for the admin console's catalog side: a person's grants and seats in words. Two queries per
person, whatever the number of grants."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import Grant, GrantState, Origin
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
