"""Reporting, read-only: enrollments, completions and grants, filtered by course (slug), team (its SCIM
id) and a range of UTC days, paged by cursor. Completions are the completed enrollments, dated by
`completed_at`; enrollments and grants are dated by when they were made."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from ..models import Enrollment, Grant
from ..report_queries import list_completions, list_enrollments, list_grants
from . import serializers as s
from .filters import EnrollmentFilter, GrantFilter, ReportFilter, end_of, parse_filters, start_of
from .pagination import IdCursorPagination


def time_range(filters: dict[str, Any]) -> dict[str, Any]:
    """The since/until days as the instants [start, end) the queries take."""
    since, until = filters.pop("since", None), filters.pop("until", None)
    return {
        **filters,
        "start": start_of(since) if since is not None else None,
        "end": end_of(until) if until is not None else None,
    }


@extend_schema(parameters=[EnrollmentFilter])
class EnrollmentViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Enrollments enrolled between `since` and `until`."""

    serializer_class = s.EnrollmentSerializer
    pagination_class = IdCursorPagination
    capability_model = Enrollment

    def get_queryset(self) -> QuerySet[Enrollment]:
        return list_enrollments(**time_range(parse_filters(EnrollmentFilter, self.request)))


@extend_schema(parameters=[ReportFilter])
class CompletionViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Completed enrollments, completed between `since` and `until`."""

    serializer_class = s.EnrollmentSerializer
    pagination_class = IdCursorPagination
    capability_model = Enrollment

    def get_queryset(self) -> QuerySet[Enrollment]:
        return list_completions(**time_range(parse_filters(ReportFilter, self.request)))


@extend_schema(parameters=[GrantFilter])
class GrantViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Grants made between `since` and `until`; `course` keeps the grants of that course itself."""

    serializer_class = s.GrantReportSerializer
    pagination_class = IdCursorPagination
    capability_model = Grant

    def get_queryset(self) -> QuerySet[Grant]:
        return list_grants(**time_range(parse_filters(GrantFilter, self.request)))
