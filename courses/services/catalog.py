"""Catalog changes: courses and learning paths. Audited; access follows grants, not the catalog."""

from django.db import transaction

from lms_identity.services.audit import Actor, record_event

from ..models import Course, LearningPath


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
    """Create or update a learning path (its ordered courses are saved by the caller's formset). Audited."""
    with transaction.atomic():
        created = path.pk is None
        path.save()
        record_event(
            actor, "path.created" if created else "path.updated", path, context={"fields": changed or []}
        )
    return path
