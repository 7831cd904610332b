"""The team page: member count, members paged and searchable, IdP teams read-only and not deletable."""

import pytest

from lms_identity.models import AuditEvent, Group
from lms_identity.models.groups import GroupSource
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def team_url(group):
    return f"/admin/lms_identity/group/{group.pk}/change/"


def test_the_team_page_counts_members_and_pages_them(admin_client, connection):
    group = GroupFactory(connection=connection, source=GroupSource.SCIM)
    for n in range(30):
        MembershipFactory(group=group, user=UserFactory(connection=connection, display_name=f"Person {n:02}"))

    first = admin_client.get(team_url(group)).content.decode()
    second = admin_client.get(team_url(group), {"member_page": 2}).content.decode()

    assert 'id="member-count">30<' in first
    assert "Person 00" in first and "Person 29" not in first and "Page 1 of 2" in first
    assert "Person 29" in second


def test_the_member_search_finds_by_name(admin_client, connection):
    group = GroupFactory(connection=connection)
    MembershipFactory(group=group, user=UserFactory(connection=connection, display_name="Ada Lovelace"))
    MembershipFactory(group=group, user=UserFactory(connection=connection, display_name="Alan Turing"))

    page = admin_client.get(team_url(group), {"member_q": "lovel"}).content.decode()

    assert "Ada Lovelace" in page and "Alan Turing" not in page


def test_the_team_list_shows_member_counts(admin_client, connection):
    group = GroupFactory(connection=connection, display_name="Engineering")
    for _ in range(3):
        MembershipFactory(group=group)

    page = admin_client.get("/admin/lms_identity/group/").content.decode()

    assert '<td class="field-member_count' in page and ">3<" in page


def test_an_idp_team_cannot_be_deleted(admin_client, connection):
    group = GroupFactory(connection=connection, source=GroupSource.SCIM)

    response = admin_client.post(f"/admin/lms_identity/group/{group.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403 and Group.objects.filter(pk=group.pk).exists()


def test_a_manual_team_is_deleted_through_the_service(admin_client, connection):
    group = GroupFactory(connection=connection, source=GroupSource.MANUAL)

    admin_client.post(f"/admin/lms_identity/group/{group.pk}/delete/", {"post": "yes"})

    assert not Group.objects.filter(pk=group.pk).exists()
    assert AuditEvent.objects.filter(action="group.deleted").exists()


def test_the_people_list_filters_by_team(admin_client, connection):
    group = GroupFactory(connection=connection)
    MembershipFactory(group=group, user=UserFactory(connection=connection, display_name="Zed Inside"))
    UserFactory(connection=connection, display_name="Zed Outsider")

    page = admin_client.get("/admin/lms_identity/user/", {"team": str(group.pk)}).content.decode()

    assert "Zed Inside" in page and "Zed Outsider" not in page
