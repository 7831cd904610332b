"""Which roles give admin power in the LMS: the core's adoption rule asks `holds_admin_role` through
settings.ADMIN_POWER_CHECKS, so that no IdP connection adopts or renames an L&D admin."""

from typing import Any

from .capabilities import ADMIN_CAPABILITIES
from .models import Grant, GrantState, RoleTemplate


def admin_roles() -> list[int]:
    """The ids of the role templates that carry an admin capability (capabilities is a JSON list)."""
    return [
        role.pk
        for role in RoleTemplate.objects.only("pk", "capabilities")
        if any(c in (role.capabilities or []) for c in ADMIN_CAPABILITIES)
    ]


def holds_admin_role(user: Any) -> bool:
    """Whether the person holds an admin role through a grant that is active or could come back
    (suspended while they are a leaver)."""
    return Grant.objects.filter(
        user_id=user.pk,
        target_type="role",
        role_id__in=admin_roles(),
        state__in=[GrantState.ACTIVE, GrantState.SUSPENDED],
    ).exists()
