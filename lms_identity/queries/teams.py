"""What the team page shows: its members, searchable and paged. Three queries per page."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from lms_identity.models import Group, Membership

MEMBERS_PER_PAGE = 25


@dataclass(frozen=True)
class TeamMembers:
    page: Page
    search: str
    count: int


def list_team_memberships(group: Group, search: str = "") -> QuerySet[Membership]:
    rows = Membership.objects.filter(group=group).select_related("user")
    if search:
        rows = rows.filter(
            Q(user__user_name__icontains=search)
            | Q(user__display_name__icontains=search)
            | Q(user__email__icontains=search)
        )
    return rows.order_by("user__display_name", "user__user_name", "id")


def team_members(group: Group, *, search: str = "", page: str | int = 1) -> TeamMembers:
    """One page of the team's memberships (a person in the team through two sources shows twice,
    once per source) and how many people the team has."""
    search = search.strip()[:100]
    paginator = Paginator(list_team_memberships(group, search), MEMBERS_PER_PAGE)
    people = Membership.objects.filter(group=group).values("user_id").distinct().count()
    return TeamMembers(page=paginator.get_page(page), search=search, count=people)
