"""Reads for the learner pages and the API, scoped to the person asking."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from lms_identity.models import User

from .errors import NotEntitled
from .models import (
    Capability,
    Course,
    CourseInstructor,
    Enrollment,
    Grant,
    GrantState,
    LearningPath,
    Override,
    OverrideEffect,
    PathCourse,
    RoleTemplate,
)
from .targets import FIELDS, TargetType, target_id_of, target_key

TEAM_DEPTH_LIMIT = 50


def entitled_course_ids(user: Any) -> set[int]:
    """Courses the person may open: an active grant of the course, or of a path that holds it."""
    rows = Grant.objects.filter(
        user_id=user.pk, state=GrantState.ACTIVE, target_type__in=[TargetType.COURSE, TargetType.PATH]
    )
    course_ids, path_ids = set(), set()
    for target_type, course_id, path_id in rows.values_list("target_type", "course_id", "path_id"):
        if target_type == TargetType.COURSE:
            course_ids.add(course_id)
        else:
            path_ids.add(path_id)
    if path_ids:
        via_paths = set(PathCourse.objects.filter(path_id__in=path_ids).values_list("course_id", flat=True))
        course_ids |= via_paths - _denied_course_ids(user, via_paths - course_ids)
    return course_ids


def _denied_course_ids(user: Any, course_ids: set[int]) -> set[int]:
    """Of these courses, those an administrator denied this person. The reconciler suspends a denied
    course's own grant; a granted path that holds the course must not reopen it."""
    if not course_ids:
        return set()
    keys = [target_key(TargetType.COURSE, pk) for pk in course_ids]
    rows = Override.objects.filter(user_id=user.pk, key__in=keys, effect=OverrideEffect.DENY).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    return {target_id_of(key) for key in rows.values_list("key", flat=True)}


def check_course_access(user: Any, course: Course) -> None:
    """Raise NotEntitled with a reason a learner understands unless they may open this course."""
    if not getattr(user, "is_active", False) or getattr(user, "deleted_at", None) is not None:
        raise NotEntitled("Your account is not active.")
    if not course.published:
        raise NotEntitled("This course is not published yet.")
    if course.pk in entitled_course_ids(user):
        return
    paths = course.paths.values_list("pk", flat=True)
    keys = [target_key(TargetType.COURSE, course.pk), *(target_key(TargetType.PATH, p) for p in paths)]
    if Override.objects.filter(user_id=user.pk, key__in=keys, effect=OverrideEffect.DENY).exists():
        raise NotEntitled("An administrator has blocked your access to this course.")
    states = set(Grant.objects.filter(user_id=user.pk, key__in=keys).values_list("state", flat=True))
    if GrantState.SUSPENDED in states:
        raise NotEntitled(
            "Your access to this course is suspended: you no longer match the rule that granted it."
        )
    if GrantState.REVOKED in states:
        raise NotEntitled(
            "Your access to this course was revoked: you no longer match the rule that granted it."
        )
    raise NotEntitled("This course is not part of your learning: none of your teams or attributes grants it.")


@dataclass
class CourseRow:
    course: Course
    progress: str
    completed_at: Any


def my_learning(user: Any) -> dict[str, Any]:
    """The person's courses and paths with their progress, in a fixed number of queries."""
    course_ids = entitled_course_ids(user)
    progress = {e.course_id: e for e in Enrollment.objects.filter(user_id=user.pk).select_related("course")}
    courses = [
        CourseRow(c, _progress(progress, c.pk), getattr(progress.get(c.pk), "completed_at", None))
        for c in Course.objects.filter(pk__in=course_ids, published=True).order_by("title")
    ]
    path_ids = Grant.objects.filter(
        user_id=user.pk, state=GrantState.ACTIVE, target_type=TargetType.PATH
    ).values("path_id")
    paths = []
    for path in LearningPath.objects.filter(pk__in=path_ids, published=True).prefetch_related(
        "steps__course"
    ):
        steps = [CourseRow(s.course, _progress(progress, s.course_id), None) for s in path.steps.all()]
        done = sum(1 for s in steps if s.progress == "completed")
        paths.append({"path": path, "steps": steps, "done": done, "total": len(steps)})
    completed_elsewhere = [
        e for e in progress.values() if e.course_id not in course_ids and e.progress == "completed"
    ]
    return {"courses": courses, "paths": paths, "history": completed_elsewhere}


def _progress(progress: dict[int, Enrollment], course_id: int) -> str:
    enrollment = progress.get(course_id)
    return enrollment.progress if enrollment else "not_started"


def list_roles(user: Any) -> QuerySet[RoleTemplate]:
    """The role templates the person holds through an active grant (rule, HR matrix or override)."""
    held = Grant.objects.filter(user_id=user.pk, state=GrantState.ACTIVE, target_type=TargetType.ROLE).values(
        "role_id"
    )
    return RoleTemplate.objects.filter(pk__in=held).order_by("name")


def capabilities_of(user: Any) -> set[str]:
    """What the person may do in the LMS, from their roles. Never anything Django's superuser flag gives."""
    return {c for role in list_roles(user) for c in role.capabilities}


def list_team(manager: Any) -> list[tuple[User, int]]:
    """The manager's direct and indirect reports (the SCIM manager chain), with their depth, walking down
    one level per query. A loop in the chain (which the core refuses, but old data may hold) ends the
    walk instead of running forever."""
    seen: set[uuid.UUID] = {manager.pk}
    team: list[tuple[User, int]] = []
    level = [manager.pk]
    depth = 1
    while level and depth <= TEAM_DEPTH_LIMIT:
        reports = list(
            User.objects.not_deleted()
            .filter(manager_id__in=level)
            .exclude(pk__in=seen)
            .order_by("display_name", "user_name")
        )
        reports = [r for r in reports if r.pk not in seen]
        seen.update(r.pk for r in reports)
        team.extend((r, depth) for r in reports)
        level = [r.pk for r in reports]
        depth += 1
    return team


def is_in_team(manager: Any, person_id: uuid.UUID) -> bool:
    return any(p.pk == person_id for p, _ in list_team(manager))


def team_progress(people: list[User]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per person: their enrollments with state, and their course grants' access state."""
    ids = [p.pk for p in people]
    out: dict[uuid.UUID, dict[str, Any]] = {
        i: {"enrollments": [], "entitled": 0, "suspended": 0} for i in ids
    }
    for e in Enrollment.objects.filter(user_id__in=ids).select_related("course").order_by("course__title"):
        out[e.user_id]["enrollments"].append(e)
    for user_id, state in Grant.objects.filter(
        user_id__in=ids, target_type__in=[TargetType.COURSE, TargetType.PATH]
    ).values_list("user_id", "state"):
        if state == GrantState.ACTIVE:
            out[user_id]["entitled"] += 1
        elif state == GrantState.SUSPENDED:
            out[user_id]["suspended"] += 1
    return out


def list_person_grants(user_id: Any) -> QuerySet[Grant]:
    return Grant.objects.filter(user_id=user_id).select_related(*FIELDS, "rule").order_by("key", "origin_key")


def list_taught_enrollments(instructor: Any) -> QuerySet[Enrollment]:
    """The enrollments (learner and progress) of the courses this person is assigned to teach, when their
    roles give the teach capability; nothing otherwise. Nothing of any other course."""
    if Capability.TEACH not in capabilities_of(instructor):
        return Enrollment.objects.none()
    taught = CourseInstructor.objects.filter(user_id=instructor.pk).values("course_id")
    return (
        Enrollment.objects.filter(course_id__in=taught)
        .select_related("course", "user")
        .order_by("course__title", "user__user_name")
    )
