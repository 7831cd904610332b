"""Hot paths run a fixed number of queries, whatever the number of users, groups and members."""

import pytest

from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warm(scim):
    # The first request of a token looks it up and marks it used (one UPDATE a minute); later ones within
    # SCIM_TOKEN_CACHE_MS find it in the process's memory. Measure the steady state.
    scim.get("ServiceProviderConfig")
    return scim


@pytest.fixture
def crowd(connection):
    boss = UserFactory(connection=connection, user_name="boss@example.com")
    people = [UserFactory(connection=connection, manager=boss) for _ in range(30)]
    groups = [GroupFactory(connection=connection) for _ in range(10)]
    for group in groups:
        for person in people[:8]:
            MembershipFactory(group=group, user=person)
    return people, groups


def test_user_list_page_is_two_queries(warm, crowd, django_assert_num_queries):
    with django_assert_num_queries(2):  # count, page
        response = warm.get("Users?count=25")

    assert response.json()["itemsPerPage"] == 25


def test_user_by_id_is_one_query(warm, crowd, django_assert_num_queries):
    people, _ = crowd

    with django_assert_num_queries(1):
        response = warm.get(f"Users/{people[3].pk}")

    assert response.status_code == 200


def test_user_name_filter_is_one_query(warm, crowd, django_assert_num_queries):
    with django_assert_num_queries(1):  # the page (a short page needs no count)
        response = warm.get('Users?filter=userName eq "BOSS@example.com"')

    assert response.json()["totalResults"] == 1


def test_group_page_with_members_is_three_queries(warm, crowd, django_assert_num_queries):
    with django_assert_num_queries(3):  # page, count, every member of the page's groups
        response = warm.get("Groups?count=5")

    assert [len(r["members"]) for r in response.json()["Resources"]] == [8] * 5


def test_group_list_excluding_members_does_not_load_them(warm, crowd, django_assert_num_queries):
    with django_assert_num_queries(2) as captured:  # page, count
        response = warm.get("Groups?count=5&excludedAttributes=members")

    assert not any("membership" in q["sql"].lower() for q in captured.captured_queries)
    assert all("members" not in r for r in response.json()["Resources"])


def test_group_by_id_excluding_members_does_not_load_them(warm, crowd, django_assert_num_queries):
    _, groups = crowd

    with django_assert_num_queries(1):
        response = warm.get(f"Groups/{groups[0].pk}?excludedAttributes=members")

    assert "members" not in response.json()
