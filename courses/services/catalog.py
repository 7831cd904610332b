"""Catalog changes: courses and learning paths. Audited; access follows grants, not the catalog."""

from collections.abc import Sequence

from django.db import transaction

from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..models import Course, LearningPath, PathCourse


def save_course(course: Course, *, actor: Actor, changed: list[str] | None = None) -> Course:
    """Create or update a course. Audited."""
    with transaction.atomic():
        created = course.pk is None
        course.save()
        record_event(
            actor,
            "course.created" if created else "course.updated",
            course,
            context={"fields": changed or []},
        )
    return course


def save_path(path: LearningPath, *, actor: Actor, changed: list[str] | None = None) -> LearningPath:
    """Create or update a learning path (its courses are set with `set_path_steps`). Audited."""
    with transaction.atomic():
        created = path.pk is None
        path.save()
        record_event(
            actor, "path.created" if created else "path.updated", path, context={"fields": changed or []}
        )
    return path


def set_path_steps(path: LearningPath, courses: Sequence[Course], *, actor: Actor) -> list[str]:
    """Make `courses` the path's steps, in this order (positions 0, 1, 2, ...). Locks the path row, so two
    editors cannot interleave their steps. A course given twice, or one not saved, is refused with
    InvalidInput naming `courses`. Idempotent: the same courses in the same order change nothing. Audited
    (`path.steps_changed`, the course slugs before and after). Returns the slugs now in order, or [] when
    nothing changed. Access follows at once: a grant of the path opens whatever it holds when asked."""
    if len({c.pk for c in courses}) != len(courses) or any(c.pk is None for c in courses):
        raise InvalidInput("courses", "a course appears twice in the path, or does not exist")
    with transaction.atomic():
        LearningPath.objects.select_for_update().filter(pk=path.pk).first()
        steps = PathCourse.objects.filter(path=path).select_related("course").order_by("position", "id")
        before = [step.course.slug for step in steps]
        after = [course.slug for course in courses]
        if before == after:
            return []
        PathCourse.objects.filter(path=path).delete()
        PathCourse.objects.bulk_create(
            [PathCourse(path=path, course=course, position=i) for i, course in enumerate(courses)]
        )
        record_event(actor, "path.steps_changed", path, changes={"courses": (before, after)})
    return after
