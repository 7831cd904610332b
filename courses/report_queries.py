"""Reads for reporting through the admin API: enrollments, completions and grants, filtered by course,
team and a time range, in id order for cursor paging. One query per page (each row comes with its
person, course or target)."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from lms_identity.models import Group, Membership

from .models import Course, Enrollment, Grant, Progress, TargetType
from .targets import FIELDS


def _in_team(team: Group) -> Exists:
    # Exists, not a join: a person in the team through two sources still gives one row.
    return Exists(Membership.objects.filter(group_id=team.pk, user_id=OuterRef("user_id")))


def _within(field: str, start: datetime | None, end: datetime | None) -> Q:
    """start <= field < end; either bound may be missing."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def list_enrollments(
    *,
    course: Course | None = None,
    team: Group | None = None,
    progress: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Enrollment]:
    """Enrollments (a person's progress in a course), enrolled between start and end."""
    rows = Enrollment.objects.select_related("user", "course").filter(_within("created_at", start, end))
    if course is not None:
        rows = rows.filter(course_id=course.pk)
    if team is not None:
        rows = rows.filter(_in_team(team))
    if progress is not None:
        rows = rows.filter(progress=progress)
    return rows.order_by("id")


def list_completions(
    *,
    course: Course | None = None,
    team: Group | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Enrollment]:
    """Completed enrollments, completed between start and end. Completions are never deleted, so a
    leaver's completions stay in the report."""
    return list_enrollments(course=course, team=team, progress=Progress.COMPLETED).filter(
        _within("completed_at", start, end)
    )


def list_grants(
    *,
    course: Course | None = None,
    team: Group | None = None,
    state: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Grant]:
    """Grants (who may open what, and why), created between start and end; `course` keeps the grants of
    that course only (not of a path that holds it)."""
    rows = Grant.objects.select_related("user", "rule", *FIELDS).filter(_within("created_at", start, end))
    if course is not None:
        rows = rows.filter(target_type=TargetType.COURSE, course_id=course.pk)
    if team is not None:
        rows = rows.filter(_in_team(team))
    if state is not None:
        rows = rows.filter(state=state)
    return rows.order_by("id")
