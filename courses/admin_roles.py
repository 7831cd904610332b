"""Which roles give admin power in the LMS: the core's adoption rule asks `holders_of_admin_role` through
settings.ADMIN_POWER_CHECKS, so that no IdP connection adopts or renames an L&D admin."""

from collections.abc import Iterable
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


def holders_of_admin_role(user_ids: Iterable[Any] | None) -> set[Any]:
    """Of these people (everyone when None), the ids of those who hold an admin role through a grant that
    is active or could come back (suspended while they are a leaver). Two queries, however many."""
    grants = Grant.objects.filter(
        target_type="role",
        role_id__in=admin_roles(),
        state__in=[GrantState.ACTIVE, GrantState.SUSPENDED],
    )
    if user_ids is not None:
        grants = grants.filter(user_id__in=list(user_ids))
    return set(grants.values_list("user_id", flat=True).distinct())
