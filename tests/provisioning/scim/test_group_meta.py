"""A group's meta after its members change: the version and lastModified move together."""

import pytest

from tests.factories import GroupFactory, UserFactory
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db


def test_adding_a_member_moves_the_groups_last_modified(scim, connection):
    group = GroupFactory(connection=connection)
    person = UserFactory(connection=connection)
    before = scim.get(f"Groups/{group.pk}").json()["meta"]

    response = scim.patch(
        f"Groups/{group.pk}", patch_op({"op": "add", "path": "members", "value": [{"value": str(person.pk)}]})
    )

    after = scim.get(f"Groups/{group.pk}").json()["meta"]
    assert response.status_code == 204
    assert after["version"] != before["version"]
    assert after["lastModified"] > before["lastModified"]


def test_adding_someone_already_a_member_leaves_last_modified_alone(scim, connection):
    group = GroupFactory(connection=connection)
    person = UserFactory(connection=connection)
    add = patch_op({"op": "add", "path": "members", "value": [{"value": str(person.pk)}]})
    scim.patch(f"Groups/{group.pk}", add)
    before = scim.get(f"Groups/{group.pk}").json()["meta"]

    scim.patch(f"Groups/{group.pk}", add)

    assert scim.get(f"Groups/{group.pk}").json()["meta"] == before
