"""A write's response is rendered from the row it saved (POST) or read back after commit (PATCH): either
way it is exactly what a GET of the person returns next, ETag included."""

import pytest

from tests.factories import UserFactory
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LMS = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"
EVERYTHING = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, LMS],
    "userName": "ann@example.com",
    "externalId": "00u1",
    "name": {"givenName": "Ann", "familyName": "Lee", "middleName": "Q"},
    "displayName": "Ann Lee",
    "title": "Engineer",
    "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
    "active": True,
    ENTERPRISE: {"department": "R&D", "employeeNumber": "42", "manager": {"value": "boss-ext"}},
    LMS: {"hireDate": "2024-03-01", "customAttributes": {"region": "EU"}},
}


def test_a_created_person_is_answered_as_a_get_shows_them(scim, connection):
    UserFactory(connection=connection, external_id="boss-ext", user_name="boss@example.com")

    created = scim.post("Users", EVERYTHING)

    assert created.status_code == 201
    read = scim.get(f"Users/{created.json()['id']}")
    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]
    assert created.json()[ENTERPRISE]["manager"]["value"] == read.json()[ENTERPRISE]["manager"]["value"]


def test_a_create_asking_for_the_managers_name_gets_it(scim, connection):
    UserFactory(connection=connection, external_id="boss-ext", display_name="The Boss")
    asked = f"attributes={ENTERPRISE}:manager.displayName,userName"

    created = scim.post(f"Users?{asked}", EVERYTHING)

    read = scim.get(f"Users/{created.json()['id']}?{asked}")
    assert created.json() == read.json()
    assert read.json()[ENTERPRISE]["manager"] == {"displayName": "The Boss"}


def test_an_adopted_person_is_answered_as_a_get_shows_them(scim, adopting_connection):
    UserFactory(connection=None, user_name="ann@example.com", title="Old title", source="manual")

    adopted = scim.post("Users", EVERYTHING)

    assert adopted.status_code == 201
    read = scim.get(f"Users/{adopted.json()['id']}")
    assert adopted.json() == read.json()
    assert adopted["ETag"] == read["ETag"]


def test_a_patched_person_is_answered_as_a_get_shows_them(scim, connection):
    person = UserFactory(connection=connection)

    patched = scim.patch(
        f"Users/{person.pk}", patch_op({"op": "replace", "value": {"title": "Lead", "active": False}})
    )

    read = scim.get(f"Users/{person.pk}")
    assert patched.json() == read.json()
    assert patched["ETag"] == read["ETag"]
    assert read.json()["title"] == "Lead" and read.json()["active"] is False
