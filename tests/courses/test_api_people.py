"""The admin API's directory: people and teams with the ids SCIM uses, filtered and paged by cursor."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from lms_identity.models import User
from lms_identity.models.users import Source
from lms_identity.services.lockout import deactivate_user
from tests.factories import ConnectionFactory, GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_names(response):
    return [row["user_name"] for row in response.json()["results"]]


def test_people_of_a_connection_are_listed_with_the_ids_scim_uses(api_as, connection, scim):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com"}
    created = scim.post("Users", body).json()
    ConnectionFactory(slug="entra")
    UserFactory(connection=ConnectionFactory(slug="entra"), user_name="bob@example.com")

    response = api_as("ld-admin").get("/api/v1/people/?connection=okta")

    assert response.status_code == 200
    (person,) = response.json()["results"]
    assert person["id"] == created["id"]
    assert (person["user_name"], person["connection"], person["source"], person["active"]) == (
        "ada@example.com",
        "okta",
        "scim",
        True,
    )


def test_people_filter_by_source_and_active_state(api_as, connection, system_actor):
    UserFactory(connection=connection, user_name="idp@example.com")
    UserFactory(connection=connection, user_name="jit@example.com", source=Source.JIT)
    leaver = UserFactory(connection=connection, user_name="left@example.com")
    deactivate_user(leaver, actor=system_actor, reason="left")
    api = api_as("ld-admin")

    jit = api.get("/api/v1/people/?connection=okta&source=jit")
    gone = api.get("/api/v1/people/?connection=okta&active=false")
    here = api.get("/api/v1/people/?connection=okta&active=true&source=scim")

    assert user_names(jit) == ["jit@example.com"]
    assert user_names(gone) == ["left@example.com"]
    assert gone.json()["results"][0]["deactivated_at"] is not None
    assert user_names(here) == ["idp@example.com"]


def test_people_filter_by_team(api_as, team):
    group, members = team("Engineering", members=2)
    team("Sales", members=1)

    response = api_as("ld-admin").get(f"/api/v1/people/?team={group.pk}")

    assert sorted(user_names(response)) == sorted(p.user_name for p in members)


def test_one_person_by_id(api_as, connection):
    person = UserFactory(connection=connection, user_name="ada@example.com")
    api = api_as("ld-admin")

    assert api.get(f"/api/v1/people/{person.pk}/").json()["user_name"] == "ada@example.com"
    assert api.get("/api/v1/people/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_teams_filter_by_connection_and_source_with_member_counts(api_as, team, connection):
    group, _ = team("Engineering", members=3)
    MembershipFactory(group=group, user=group.memberships.first().user, source="manual")  # same person twice
    GroupFactory(connection=connection, display_name="Hand-made", source="manual")
    GroupFactory(connection=ConnectionFactory(slug="entra"), display_name="Elsewhere")

    response = api_as("ld-admin").get("/api/v1/teams/?connection=okta&source=scim")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(t["id"], t["display_name"], t["member_count"], t["connection"]) for t in rows] == [
        (str(group.pk), "Engineering", 3, "okta")
    ]


def test_people_pages_follow_the_cursor_to_the_end_without_repeats(api_as, connection):
    people = sorted(str(UserFactory(connection=connection).pk) for _ in range(7))
    api = api_as("ld-admin")

    seen, url = [], "/api/v1/people/?connection=okta&page_size=3"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == people


def test_a_page_of_people_costs_the_same_queries_however_many_rows(
    api_as, connection, django_assert_num_queries
):
    api = api_as("ld-admin")
    api.get("/api/v1/people/")  # the token's last use is written once a minute: not on the pinned calls
    for _ in range(3):
        UserFactory(connection=connection)
    with CaptureQueriesContext(db) as small:
        api.get("/api/v1/people/?connection=okta&page_size=50")
    for _ in range(30):
        UserFactory(connection=connection, source=Source.JIT)

    # token and person, the person's permissions (2), the connection, the page
    with django_assert_num_queries(5):
        response = api.get("/api/v1/people/?connection=okta&page_size=50")

    assert len(response.json()["results"]) == 33
    assert len(small) == 5


def test_a_page_of_teams_costs_the_same_queries_however_many_rows(api_as, team, django_assert_num_queries):
    api = api_as("ld-admin")
    api.get("/api/v1/teams/")
    for n in range(12):
        team(f"Team {n}", members=2)

    with django_assert_num_queries(4):
        response = api.get("/api/v1/teams/?page_size=50")

    assert len(response.json()["results"]) == 12


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("team=not-a-uuid", "team"),
        ("team=00000000-0000-0000-0000-000000000000", "team"),
        ("connection=nowhere", "connection"),
        ("source=ldap", "source"),
        ("active=maybe", "active"),
        ("connection=%00", "connection"),
    ],
)
def test_bad_filters_are_a_drf_400_naming_the_parameter(api_as, query, field):
    response = api_as("ld-admin").get(f"/api/v1/people/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_bad_cursor_is_a_404_not_a_500(api_as):
    response = api_as("ld-admin").get("/api/v1/people/?cursor=garbage")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("role", ["auditor", "instructor", "manager", "learner"])
def test_roles_without_people_reading_get_403(api_as, role):
    api = api_as(role)

    assert api.get("/api/v1/people/").status_code == 403
    assert api.get("/api/v1/teams/").status_code == 403


def test_the_directory_is_read_only_even_for_an_ld_admin(api_as, connection):
    person = UserFactory(connection=connection)
    api = api_as("ld-admin")

    assert api.post("/api/v1/people/", {"user_name": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/people/{person.pk}/").status_code == 403
    assert api.patch(f"/api/v1/teams/{person.pk}/", {}, format="json").status_code == 403
    assert User.objects.filter(pk=person.pk, user_name=person.user_name).exists()
