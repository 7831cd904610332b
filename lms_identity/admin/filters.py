"""List filters of the People and Teams pages."""

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms_identity.models import Group


class TeamFilter(admin.SimpleListFilter):
    """People in one team (the team page links here for its full, searchable member list)."""

    title = "team"
    parameter_name = "team"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        chosen = self.value()
        if not chosen:
            return []  # teams can be thousands: this filter is reached from a team page's link
        team = Group.objects.filter(pk=chosen).first() if _is_uuid(chosen) else None
        return [(chosen, str(team))] if team else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        if not chosen:
            return queryset
        if not _is_uuid(chosen):
            return queryset.none()
        return queryset.filter(memberships__group_id=chosen).distinct()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
