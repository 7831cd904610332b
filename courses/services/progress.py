"""Progress recording: enrolled, in progress, completed. Forward only; completions are never undone."""

from django.db import transaction
from django.utils import timezone

from lms_identity.models import User
from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..models import Course, Enrollment, Progress
from ..queries import check_course_access

ORDER = {Progress.ENROLLED: 0, Progress.IN_PROGRESS: 1, Progress.COMPLETED: 2}


def record_progress(user: User, course: Course, *, progress: str, actor: Actor) -> tuple[Enrollment, bool]:
    """Move the person's enrollment forward to `progress` (creating it when missing). Refuses with
    NotEntitled when they may not open the course. Going backwards or repeating is a no-op. Locks the
    enrollment row. Audited. Returns (enrollment, changed)."""
    if progress not in ORDER:
        raise InvalidInput("progress", "progress must be enrolled, in_progress or completed")
    check_course_access(user, course)
    with transaction.atomic():
        enrollment, created = Enrollment.objects.select_for_update().get_or_create(user=user, course=course)
        before = None if created else enrollment.progress
        if not created and ORDER[Progress(progress)] <= ORDER[Progress(enrollment.progress)]:
            return enrollment, False
        now = timezone.now()
        fields = ["progress", "updated_at"]
        if ORDER[Progress(progress)] > ORDER[Progress(enrollment.progress)] or created:
            enrollment.progress = progress
        if progress != Progress.ENROLLED and enrollment.started_at is None:
            enrollment.started_at = now
            fields.append("started_at")
        if progress == Progress.COMPLETED:
            enrollment.completed_at = now
            fields.append("completed_at")
        enrollment.save(update_fields=fields)
        record_event(
            actor,
            "enrollment.progress",
            user,
            changes={"progress": (before, progress)},
            context={"course": course.slug},
        )
    return enrollment, True
