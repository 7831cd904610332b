"""The people and teams the admin API lists, filtered by connection, source and active state, in id order
(the ids SCIM uses). One query per page: the connection comes with each row, a team's head count is
annotated."""

import uuid

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from lms_identity.models import Group, Membership, User


def list_people(
    *,
    connection_id: int | None = None,
    source: str | None = None,
    active: bool | None = None,
    team_id: uuid.UUID | None = None,
) -> QuerySet[User]:
    """Everyone, soft-deleted people included (`deleted_at` says so; they are never active)."""
    rows = User.objects.select_related("connection").order_by("id")
    if connection_id is not None:
        rows = rows.filter(connection_id=connection_id)
    if source is not None:
        rows = rows.filter(source=source)
    may_sign_in = Q(is_active=True, deleted_at__isnull=True)
    if active is True:
        rows = rows.filter(may_sign_in)
    elif active is False:
        rows = rows.exclude(may_sign_in)
    if team_id is not None:
        # Exists, not a join: a person in the team through two sources is still one row.
        rows = rows.filter(Exists(Membership.objects.filter(group_id=team_id, user_id=OuterRef("pk"))))
    return rows


def list_teams(*, connection_id: int | None = None, source: str | None = None) -> QuerySet[Group]:
    """Every team with `member_count` (people, counted once whatever the membership's source)."""
    rows = (
        Group.objects.select_related("connection")
        .annotate(member_count=Count("memberships__user", distinct=True))
        .order_by("id")
    )
    if connection_id is not None:
        rows = rows.filter(connection_id=connection_id)
    if source is not None:
        rows = rows.filter(source=source)
    return rows
