"""The query parameters of the admin API's lists, parsed by DRF serializers: a bad value is a DRF 400
naming the parameter (`{"team": ["Must be a valid UUID."]}`), never a 500 or a silently empty list.
Connections, teams and courses are named as the caller knows them (slug, SCIM id, slug) and resolved here;
an unknown one is a 400 too."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from lms_identity.models import Group, IdpConnection
from lms_identity.models.groups import GroupSource
from lms_identity.models.users import Source

from ..models import Course, GrantState, Progress


def parse_filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The validated filters of a list request. A plain dict, not the QueryDict: DRF reads a missing
    boolean in form-like input as false, and a missing `active` must mean "either"."""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime | None:
    """The first instant after this UTC day, or None for the calendar's last day (no upper bound)."""
    return start_of(day + timedelta(days=1)) if day < date.max else None


class _RowField(serializers.Field):
    """A filter that names one row: the row itself, or a 400 saying it names none."""

    model: Any
    lookup: str
    missing: str  # the message, with {value}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        self.run_validators(value)  # NUL and the like, before the query
        row = self.model.objects.filter(**{self.lookup: value}).first()
        if row is None:
            raise serializers.ValidationError(self.missing.format(value=value))
        return row


class ConnectionField(_RowField, serializers.SlugField):
    model, lookup, missing = IdpConnection, "slug", "no connection with slug {value!r}"


class TeamField(_RowField, serializers.UUIDField):
    model, lookup, missing = Group, "pk", "no team with this id"


class CourseField(_RowField, serializers.SlugField):
    model, lookup, missing = Course, "slug", "no course with slug {value!r}"


class PeopleFilter(serializers.Serializer):
    connection = ConnectionField(required=False, help_text="Only people of this IdP connection (its slug).")
    source = serializers.ChoiceField(
        choices=Source.choices, required=False, help_text="scim (IdP), jit (SSO just-in-time) or manual."
    )
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: may sign in; false: deactivated or deleted; absent: both.",
    )
    team = TeamField(required=False, help_text="Only members of this team (its id, as in SCIM).")


class TeamFilter(serializers.Serializer):
    connection = ConnectionField(required=False, help_text="Only teams of this IdP connection (its slug).")
    source = serializers.ChoiceField(
        choices=GroupSource.choices, required=False, help_text="scim (IdP), claims (SSO groups) or manual."
    )


class ReportFilter(serializers.Serializer):
    course = CourseField(required=False, help_text="Only this course (its slug).")
    team = TeamField(required=False, help_text="Only members of this team (its id, as in SCIM).")
    since = serializers.DateField(required=False, help_text="From this day (UTC, YYYY-MM-DD), inclusive.")
    until = serializers.DateField(required=False, help_text="To this day (UTC, YYYY-MM-DD), inclusive.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["must not be before since"]})
        return attrs


class EnrollmentFilter(ReportFilter):
    progress = serializers.ChoiceField(choices=Progress.choices, required=False)


class GrantFilter(ReportFilter):
    state = serializers.ChoiceField(choices=GrantState.choices, required=False)
