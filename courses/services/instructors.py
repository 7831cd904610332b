"""Who teaches which course. Assigning is an L&D admin's decision (manage_catalog); what an instructor may
then see is in `courses.queries.list_taught_enrollments` (only with the teach capability)."""

from django.db import transaction

from lms_identity.models import User
from lms_identity.services.audit import Actor, record_event

from ..models import Course, CourseInstructor


def assign_instructor(course: Course, user: User, *, actor: Actor) -> CourseInstructor:
    """Make the person an instructor of the course. Idempotent (a repeat writes nothing). Audited."""
    with transaction.atomic():
        link, created = CourseInstructor.objects.get_or_create(course=course, user=user)
        if created:
            record_event(actor, "course.instructor_assigned", course, context={"user": str(user.pk)})
    return link


def unassign_instructor(course: Course, user: User, *, actor: Actor) -> bool:
    """Stop the person teaching the course. Idempotent. Audited. Returns whether anything changed."""
    with transaction.atomic():
        deleted, _ = CourseInstructor.objects.filter(course=course, user=user).delete()
        if deleted:
            record_event(actor, "course.instructor_unassigned", course, context={"user": str(user.pk)})
    return bool(deleted)
