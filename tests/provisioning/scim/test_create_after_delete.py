"""POST /Users for a person this connection deleted earlier restores them, active or not."""

import pytest

from lms_identity.models import User

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_recreating_a_deleted_person_as_inactive_restores_them_inactive(scim):
    # Entra provisions a disabled account with "active": false on create.
    first = scim.post("Users", {"schemas": [USER], "userName": "ana@example.com"}).json()["id"]
    scim.delete(f"Users/{first}")

    response = scim.post("Users", {"schemas": [USER], "userName": "ana@example.com", "active": False})

    assert response.status_code == 201
    assert response.json()["id"] == first
    assert response.json()["active"] is False
    assert scim.get(f"Users/{first}").json()["active"] is False
    person = User.objects.get(pk=first)
    assert person.deleted_at is None and person.is_active is False


def test_recreating_a_deleted_person_as_active_restores_them_active(scim):
    first = scim.post("Users", {"schemas": [USER], "userName": "ben@example.com"}).json()["id"]
    scim.delete(f"Users/{first}")

    response = scim.post("Users", {"schemas": [USER], "userName": "ben@example.com"})

    assert response.status_code == 201
    assert response.json()["id"] == first
    assert response.json()["active"] is True
