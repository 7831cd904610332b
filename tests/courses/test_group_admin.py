"""Groups in the admin: the IdP's are read-only, manual ones are editable and feed the rules."""

import pytest

from courses.models import Grant
from lms_identity.models import Group, Membership
from tests.factories import CourseFactory, EntitlementRuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_idp_group_cannot_be_edited_in_the_admin(admin_client, team):
    group, _ = team("Engineering", members=1)

    page = admin_client.get(f"/admin/lms_identity/group/{group.pk}/change/")
    post = admin_client.post(f"/admin/lms_identity/group/{group.pk}/change/", {"display_name": "Renamed"})

    assert page.status_code == 200 and 'name="display_name"' not in page.content.decode()
    assert post.status_code == 403
    assert Group.objects.get(pk=group.pk).display_name == "Engineering"


def test_a_manual_group_made_in_the_admin_feeds_a_rule(admin_client, connection, system_actor):
    from courses.reconcile import reconcile_people

    person = UserFactory(connection=connection)

    response = admin_client.post(
        "/admin/lms_identity/group/add/",
        {"connection": connection.pk, "display_name": "Mentors", "members": [person.pk]},
    )
    group = Group.objects.get(display_name="Mentors")
    course = CourseFactory(slug="mentoring")
    EntitlementRuleFactory(target=course, groups=[group])
    reconcile_people([person.pk], actor=system_actor)

    assert response.status_code == 302
    assert group.source == "manual"
    assert Membership.objects.filter(group=group, user=person, source="manual").exists()
    assert Grant.objects.get(user=person, course=course).state == "active"


def test_a_manual_group_refuses_a_member_of_another_connection(admin_client, connection, other_connection):
    stranger = UserFactory(connection=other_connection)

    response = admin_client.post(
        "/admin/lms_identity/group/add/",
        {"connection": connection.pk, "display_name": "Mentors", "members": [stranger.pk]},
    )

    assert response.status_code == 200
    assert "belongs to another connection" in response.content.decode()
    assert not Group.objects.filter(display_name="Mentors").exists()
