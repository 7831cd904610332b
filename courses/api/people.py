"""The directory, read-only: people and teams with the ids SCIM uses, filtered by connection, source and
active state, paged by cursor. Reading needs the roles' view permission of people (or teams)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from lms_identity.models import Group, User
from lms_identity.queries.directory import list_people, list_teams

from . import serializers as s
from .filters import PeopleFilter, TeamFilter, parse_filters
from .pagination import IdCursorPagination

UUID_PATTERN = "[0-9a-fA-F-]{36}"


def connection_id_of(filters: dict[str, Any]) -> int | None:
    connection = filters.get("connection")
    return connection.pk if connection is not None else None


@extend_schema_view(list=extend_schema(parameters=[PeopleFilter]))
class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PersonSerializer
    pagination_class = IdCursorPagination
    capability_model = User
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[User]:
        if self.action != "list":
            return list_people()
        filters = parse_filters(PeopleFilter, self.request)
        team = filters.get("team")
        return list_people(
            connection_id=connection_id_of(filters),
            source=filters.get("source"),
            active=filters.get("active"),
            team_id=team.pk if team is not None else None,
        )


@extend_schema_view(list=extend_schema(parameters=[TeamFilter]))
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.TeamSerializer
    pagination_class = IdCursorPagination
    capability_model = Group
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Group]:
        if self.action != "list":
            return list_teams()
        filters = parse_filters(TeamFilter, self.request)
        return list_teams(connection_id=connection_id_of(filters), source=filters.get("source"))
