"""The person page's grants and seats sections, registered with the core's person page."""

from typing import Any

from courses.console_queries import person_access
from lms_identity.admin.person_sections import PersonSection, register_person_section
from lms_identity.models import User


def _access(user: User) -> dict[str, Any]:
    return person_access(user.pk)


register_person_section(
    PersonSection(
        key="courses.access",
        title="Grants and seats",
        template="admin/courses/person_access.html",
        context=_access,
        order=10,
    )
)
