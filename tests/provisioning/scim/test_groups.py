"""Groups and memberships: Okta's and Entra's documented requests, and what they cost."""

import pytest

from lms_identity.models import Group, Membership
from lms_identity.models.groups import GroupSource
from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def people(connection):
    return [UserFactory(connection=connection) for _ in range(3)]


def member_ids(group_id):
    return {str(u) for u in Membership.objects.filter(group_id=group_id).values_list("user_id", flat=True)}


def test_okta_create_group(scim, connection):
    # Okta: "Create Groups", verbatim.
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Test SCIMv2",
        "members": [],
    }

    response = scim.post("Groups", body)

    assert response.status_code == 201
    group = Group.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "schemas": [GROUP],
        "id": str(group.pk),
        "displayName": "Test SCIMv2",
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": f"http://testserver/scim/v2/Groups/{group.pk}",
            "version": 'W/"1"',
        },
    }
    assert response["Location"] == f"http://testserver/scim/v2/Groups/{group.pk}"
    assert group.connection == connection


def test_entra_create_group_with_extra_schema_and_meta(scim):
    # Entra: "Create Group", verbatim.
    body = {
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "id": "c4d56b06-2d0f-4f35-86fc-6d35c47e5d72",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group",
        ],
    }

    response = scim.post("Groups", body)

    assert response.status_code == 201
    assert response.json()["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    assert response.json()["id"] != body["id"]


def test_create_group_with_members(scim, people):
    response = scim.post(
        "Groups", {"displayName": "Sales", "members": [{"value": str(p.pk)} for p in people]}
    )

    assert response.status_code == 201
    assert {m["value"] for m in response.json()["members"]} == {str(p.pk) for p in people}
    assert response.json()["members"][0]["$ref"].startswith("http://testserver/scim/v2/Users/")
    assert response.json()["members"][0]["type"] == "User"


def test_duplicate_display_name_is_409(scim):
    scim.post("Groups", {"displayName": "Sales"})

    response = scim.post("Groups", {"displayName": "SALES"})

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_okta_rename_ignores_the_read_only_id(scim):
    group = scim.post("Groups", {"displayName": "Test SCIMv2"}).json()
    # Okta: "Update Group name", verbatim but for the id.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": group["id"], "displayName": "Test SCIMv2 renamed"}}],
    }

    response = scim.patch(f"Groups/{group['id']}", body)

    assert response.status_code == 204
    assert Group.objects.get(pk=group["id"]).display_name == "Test SCIMv2 renamed"


def test_okta_add_members_then_remove_one_by_value_filter(scim, people):
    group = scim.post("Groups", {"displayName": "Test SCIMv2"}).json()
    add = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": str(p.pk), "display": p.user_name} for p in people],
            }
        ],
    }
    remove = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": f'members[value eq "{people[0].pk}"]'}],
    }

    assert scim.patch(f"Groups/{group['id']}", add).status_code == 204
    assert scim.patch(f"Groups/{group['id']}", remove).status_code == 204

    assert member_ids(group["id"]) == {str(people[1].pk), str(people[2].pk)}


def test_okta_replace_members_sets_exactly_those(scim, people):
    group = scim.post("Groups", {"displayName": "Team", "members": [{"value": str(people[0].pk)}]}).json()

    scim.patch(
        f"Groups/{group['id']}",
        patch_op({"op": "replace", "path": "members", "value": [{"value": str(people[1].pk)}]}),
    )

    assert member_ids(group["id"]) == {str(people[1].pk)}


def test_entra_add_and_remove_members_with_value_lists(scim, people):
    group = scim.post("Groups", {"displayName": "displayName"}).json()
    # Entra: "Update Group [Add Members]" and "[Remove Members]", verbatim but for the ids.
    add = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(people[0].pk)}]}
        ],
    }
    remove = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(people[0].pk)}]}
        ],
    }

    scim.patch(f"Groups/{group['id']}", add)
    assert member_ids(group["id"]) == {str(people[0].pk)}
    scim.patch(f"Groups/{group['id']}", remove)
    assert member_ids(group["id"]) == set()


def test_entra_rename(scim):
    group = scim.post("Groups", {"displayName": "displayName"}).json()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": "displayName",
                "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
            }
        ],
    }

    scim.patch(f"Groups/{group['id']}", body)

    assert (
        Group.objects.get(pk=group["id"]).display_name
        == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    )


def test_remove_members_without_value_empties_the_group(scim, people):
    group = scim.post(
        "Groups", {"displayName": "Team", "members": [{"value": str(p.pk)} for p in people]}
    ).json()

    scim.patch(f"Groups/{group['id']}", patch_op({"op": "remove", "path": "members"}))

    assert member_ids(group["id"]) == set()


def test_operations_apply_in_order(scim, people):
    group = scim.post("Groups", {"displayName": "Team"}).json()
    a, b = str(people[0].pk), str(people[1].pk)

    scim.patch(
        f"Groups/{group['id']}",
        patch_op(
            {"op": "add", "path": "members", "value": [{"value": a}, {"value": b}]},
            {"op": "remove", "path": f'members[value eq "{a}"]'},
            {"op": "add", "path": "members", "value": [{"value": a}]},
            {"op": "remove", "path": "members", "value": [{"value": b}]},
        ),
    )

    assert member_ids(group["id"]) == {a}


def test_member_of_another_connection_is_not_added(scim, other_connection):
    stranger = UserFactory(connection=other_connection)
    group = scim.post("Groups", {"displayName": "Team"}).json()

    scim.patch(
        f"Groups/{group['id']}",
        patch_op({"op": "add", "path": "members", "value": [{"value": str(stranger.pk)}]}),
    )

    assert member_ids(group["id"]) == set()


def test_member_value_that_is_not_an_id_is_400_and_changes_nothing(scim, people):
    group = scim.post("Groups", {"displayName": "Team"}).json()

    response = scim.patch(
        f"Groups/{group['id']}",
        patch_op(
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": "not-an-id"}]},
        ),
    )

    assert response.status_code == 400
    assert Group.objects.get(pk=group["id"]).display_name == "Team"


def test_patch_with_attributes_returns_the_group(scim, people):
    group = scim.post("Groups", {"displayName": "Team"}).json()

    response = scim.patch(
        f"Groups/{group['id']}?excludedAttributes=members",
        patch_op({"op": "add", "path": "members", "value": [{"value": str(people[0].pk)}]}),
    )

    assert response.status_code == 200
    assert "members" not in response.json() and response.json()["displayName"] == "Team"
    assert response["ETag"] == 'W/"2"'


def test_put_replaces_name_and_members(scim, people):
    group = scim.post("Groups", {"displayName": "Team", "members": [{"value": str(people[0].pk)}]}).json()

    response = scim.put(
        f"Groups/{group['id']}", {"displayName": "Team B", "members": [{"value": str(people[1].pk)}]}
    )

    assert response.status_code == 200
    assert response.json()["displayName"] == "Team B"
    assert [m["value"] for m in response.json()["members"]] == [str(people[1].pk)]


def test_delete_group_keeps_the_people(scim, people):
    group = scim.post(
        "Groups", {"displayName": "Team", "members": [{"value": str(p.pk)} for p in people]}
    ).json()

    response = scim.delete(f"Groups/{group['id']}")

    assert response.status_code == 204
    assert scim.get(f"Groups/{group['id']}").status_code == 404
    assert all(scim.get(f"Users/{p.pk}").status_code == 200 for p in people)


def test_manual_memberships_are_not_shown_or_removed_by_the_idp(scim, connection, people):
    group = GroupFactory(connection=connection, display_name="Team")
    MembershipFactory(group=group, user=people[0], source=GroupSource.MANUAL)

    listed = scim.get(f"Groups/{group.pk}").json()
    scim.patch(f"Groups/{group.pk}", patch_op({"op": "replace", "path": "members", "value": []}))

    assert "members" not in listed
    assert member_ids(group.pk) == {str(people[0].pk)}


def test_another_connection_cannot_see_or_change_my_groups(scim, other_scim, people):
    group = scim.post("Groups", {"displayName": "Team"}).json()

    assert other_scim.get(f"Groups/{group['id']}").status_code == 404
    assert (
        other_scim.patch(f"Groups/{group['id']}", patch_op({"op": "remove", "path": "members"})).status_code
        == 404
    )
    assert other_scim.delete(f"Groups/{group['id']}").status_code == 404
    assert other_scim.get('Groups?filter=displayName eq "Team"').json()["totalResults"] == 0


def test_same_display_name_in_two_connections_is_fine(scim, other_scim):
    assert scim.post("Groups", {"displayName": "Sales"}).status_code == 201
    assert other_scim.post("Groups", {"displayName": "Sales"}).status_code == 201


def test_entra_group_query_excluding_members(scim, people):
    scim.post("Groups", {"displayName": "displayName", "members": [{"value": str(p.pk)} for p in people]})

    response = scim.get('Groups?excludedAttributes=members&filter=displayName eq "displayName"')

    body = response.json()
    assert body["totalResults"] == 1 and "members" not in body["Resources"][0]


def test_group_if_match_mismatch_is_412_and_changes_nothing(scim, people):
    group = scim.post("Groups", {"displayName": "Team"}).json()
    add = patch_op({"op": "add", "path": "members", "value": [{"value": str(people[0].pk)}]})

    stale = scim.patch(f"Groups/{group['id']}", add, HTTP_IF_MATCH='W/"7"')
    fresh = scim.patch(f"Groups/{group['id']}", add, HTTP_IF_MATCH=group["meta"]["version"])

    assert (stale.status_code, fresh.status_code) == (412, 204)
    assert fresh["ETag"] == 'W/"2"'
    assert scim.delete(f"Groups/{group['id']}", HTTP_IF_MATCH='W/"1"').status_code == 412
