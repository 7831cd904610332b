"""SCIM sees `Émile` and `émile` as one person on SQLite as on PostgreSQL: uniqueness and `eq` filters."""

from urllib.parse import quote

import pytest

from lms_identity.models import User

pytestmark = pytest.mark.django_db


def test_a_user_name_differing_only_in_the_case_of_a_non_ascii_letter_is_409(scim):
    scim.post("Users", {"userName": "Émile@example.com"})

    response = scim.post("Users", {"userName": "émile@example.com"})

    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    assert User.objects.count() == 1


def test_an_email_differing_only_in_the_case_of_a_non_ascii_letter_is_409(scim):
    scim.post("Users", {"userName": "one", "emails": [{"value": "Ålesund@example.com"}]})

    response = scim.post("Users", {"userName": "two", "emails": [{"value": "ålesund@example.com"}]})

    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


@pytest.mark.parametrize(
    "filter_text",
    ['userName eq "ÉMILE@EXAMPLE.COM"', 'userName eq "émile@example.com"', 'emails eq "ÉMILE@example.com"'],
)
def test_an_eq_filter_ignores_the_case_of_non_ascii_letters(scim, filter_text):
    created = scim.post(
        "Users", {"userName": "Émile@example.com", "emails": [{"value": "émile@example.com"}]}
    )

    response = scim.get("Users?filter=" + quote(filter_text))

    assert [r["id"] for r in response.json()["Resources"]] == [created.json()["id"]]


def test_an_eq_filter_does_not_confuse_different_letters(scim):
    scim.post("Users", {"userName": "Émile@example.com"})

    response = scim.get("Users?filter=" + quote('userName eq "emile@example.com"'))

    assert response.json()["totalResults"] == 0


def test_a_group_name_differing_only_in_case_is_409(scim):
    scim.post("Groups", {"displayName": "Équipe Lyon"})

    response = scim.post("Groups", {"displayName": "ÉQUIPE LYON"})

    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
