"""Users: create, read, replace, delete, and the lifecycle an IdP drives."""

import pytest
from django.contrib.sessions.models import Session

from lms_identity.models import AuditEvent, OutboxEvent, User
from lms_identity.models.users import Source
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LMS = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"

# Okta's "Create the user" request body (Okta SCIM 2.0 protocol reference), verbatim.
OKTA_CREATE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

# Microsoft Entra's "Create User" request body (Entra SCIM endpoint guide), verbatim.
ENTRA_CREATE = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "emails": [
        {
            "primary": True,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
        }
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}


def test_okta_create_returns_201_with_the_user_and_ignores_password_and_groups(scim, connection):
    response = scim.post("Users", OKTA_CREATE)

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(pk=body["id"])
    assert response["Location"] == f"http://testserver/scim/v2/Users/{user.pk}"
    assert response["ETag"] == body["meta"]["version"] == user.etag
    assert body == {
        "schemas": [USER],
        "id": str(user.pk),
        "externalId": "00ujl29u0le5T6Aj10h7",
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "displayName": "Test User",
        "locale": "en-US",
        "active": True,
        "emails": [{"value": "test.user@okta.local", "type": "work"}],
        "meta": {
            "resourceType": "User",
            "created": user.created_at.isoformat(),
            "lastModified": user.updated_at.isoformat(),
            "location": f"http://testserver/scim/v2/Users/{user.pk}",
            "version": user.etag,
        },
    }
    assert user.connection == connection and user.source == Source.SCIM
    assert not user.has_usable_password()


def test_entra_create_stores_the_work_email_and_ignores_formatted_name_and_roles(scim):
    response = scim.post("Users", ENTRA_CREATE)

    assert response.status_code == 201
    user = User.objects.get(pk=response.json()["id"])
    assert user.email == "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    assert (user.given_name, user.family_name) == ("givenName", "familyName")
    assert user.external_id == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"


def test_create_with_enterprise_and_lms_extensions_round_trips(scim):
    manager = scim.post("Users", {"userName": "boss@example.com", "displayName": "The Boss"}).json()
    body = {
        "schemas": [USER, ENTERPRISE, LMS],
        "userName": "ann@example.com",
        ENTERPRISE: {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations",
            "manager": {"value": manager["id"]},
        },
        LMS: {"hireDate": "2024-03-01", "customAttributes": {"region": "EU", "shoeSize": "42"}},
    }

    response = scim.post("Users", body)

    assert response.status_code == 201
    created = response.json()
    assert created[ENTERPRISE] == {
        "schemas": [ENTERPRISE],
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {"value": manager["id"], "$ref": f"http://testserver/scim/v2/Users/{manager['id']}"},
    }
    assert created[LMS] == {"schemas": [LMS], "hireDate": "2024-03-01", "customAttributes": {"region": "EU"}}
    assert set(created["schemas"]) == {USER, ENTERPRISE, LMS}


def test_manager_display_name_is_returned_when_asked_for(scim):
    boss = scim.post("Users", {"userName": "boss@example.com", "displayName": "The Boss"}).json()
    ann = scim.post("Users", {"userName": "ann@example.com", ENTERPRISE: {"manager": boss["id"]}}).json()

    response = scim.get(f"Users/{ann['id']}?attributes={ENTERPRISE}:manager")

    assert response.json()[ENTERPRISE]["manager"] == {
        "value": boss["id"],
        "$ref": f"http://testserver/scim/v2/Users/{boss['id']}",
        "displayName": "The Boss",
    }
    assert "displayName" not in scim.get(f"Users/{ann['id']}").json()[ENTERPRISE]["manager"]


def test_manager_not_yet_provisioned_is_linked_when_they_arrive(scim):
    ann = scim.post("Users", {"userName": "ann@example.com", ENTERPRISE: {"manager": {"value": "emp-42"}}})
    assert ENTERPRISE not in ann.json()

    boss = scim.post("Users", {"userName": "boss@example.com", "externalId": "emp-42"})

    manager = scim.get(f"Users/{ann.json()['id']}").json()[ENTERPRISE]["manager"]
    assert manager["value"] == boss.json()["id"]


def test_a_deleted_managers_reports_show_no_manager_until_the_manager_is_restored(scim):
    boss = scim.post("Users", {"userName": "boss@example.com", "externalId": "emp-42"}).json()
    ann = scim.post("Users", {"userName": "ann@example.com", ENTERPRISE: {"manager": boss["id"]}}).json()

    assert scim.delete(f"Users/{boss['id']}").status_code == 204
    after_delete = scim.get(f"Users/{ann['id']}").json()
    restored = scim.post("Users", {"userName": "boss@example.com", "externalId": "emp-42"})
    after_restore = scim.get(f"Users/{ann['id']}").json()

    assert ENTERPRISE not in after_delete  # no link to a person the IdP gets 404 for
    assert restored.status_code == 201 and restored.json()["id"] == boss["id"]
    assert after_restore[ENTERPRISE]["manager"]["value"] == boss["id"]


def test_a_rehire_restored_by_post_does_not_keep_what_the_new_body_leaves_out(scim):
    boss = scim.post("Users", {"userName": "boss@example.com"}).json()
    first = scim.post(
        "Users",
        {
            "userName": "ann@example.com",
            "externalId": "e-1",
            "title": "Sales lead",
            ENTERPRISE: {"department": "Sales", "manager": boss["id"]},
        },
    ).json()
    scim.delete(f"Users/{first['id']}")

    again = scim.post("Users", {"userName": "ann@example.com", "name": {"givenName": "Ann"}})

    body = again.json()
    assert (again.status_code, body["id"], body["externalId"]) == (201, first["id"], "e-1")
    assert "title" not in body and ENTERPRISE not in body
    assert body["name"]["givenName"] == "Ann"


def test_create_adopts_an_unowned_person_with_the_same_user_name(scim, adopting_connection):
    connection = adopting_connection
    manual = UserFactory(connection=None, source=Source.MANUAL, user_name="ann@example.com", email="")

    response = scim.post("Users", {"userName": "ANN@example.com", "externalId": "e1"})

    assert response.status_code == 201
    assert response.json()["id"] == str(manual.pk)
    manual.refresh_from_db()
    assert (manual.connection, manual.source, manual.external_id) == (connection, Source.SCIM, "e1")
    assert User.objects.count() == 1


def test_create_of_a_person_owned_by_another_connection_is_409_without_database_text(scim, other_connection):
    UserFactory(connection=other_connection, user_name="ann@example.com")

    response = scim.post("Users", {"userName": "ann@example.com"})

    assert response.status_code == 409
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "userName is already taken",
    }


def test_duplicate_email_is_409_naming_emails(scim):
    scim.post("Users", {"userName": "a@example.com", "emails": [{"value": "same@example.com"}]})

    response = scim.post("Users", {"userName": "b@example.com", "emails": [{"value": "SAME@example.com"}]})

    assert response.status_code == 409
    assert response.json()["detail"] == "emails is already taken"
    assert "constraint" not in response.content.decode().lower()


def test_a_taken_external_id_is_409_and_writes_neither_the_person_nor_their_events(scim):
    scim.post("Users", {"userName": "a@example.com", "externalId": "00u-same"})
    events = AuditEvent.objects.count()

    # The one statement inserting the person with their audit and outbox events fails as a whole.
    response = scim.post("Users", {"userName": "b@example.com", "externalId": "00u-same"})

    assert response.status_code == 409
    assert response.json()["detail"] == "externalId is already taken"
    assert list(User.objects.values_list("user_name", flat=True)) == ["a@example.com"]
    assert AuditEvent.objects.exclude(action="user.adoption_refused").count() == events
    assert OutboxEvent.objects.filter(payload__user_ids__isnull=False).count() == 1


def test_create_without_user_name_is_400_invalid_value(scim):
    response = scim.post("Users", {"schemas": [USER], "displayName": "Nobody"})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert User.objects.count() == 0


def test_get_unknown_id_is_a_scim_404(scim):
    for user_id in ("7d3c1a4e-0000-4000-8000-000000000000", "not-a-uuid"):
        response = scim.get(f"Users/{user_id}")

        assert response.status_code == 404
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert response.json()["status"] == "404"


def test_put_replaces_the_user_and_clears_what_it_leaves_out(scim):
    created = scim.post(
        "Users", {"userName": "ann@example.com", "title": "Engineer", "nickName": "Annie"}
    ).json()

    response = scim.put(
        f"Users/{created['id']}", {"schemas": [USER], "userName": "ann@example.com", "title": "Lead"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Lead" and "nickName" not in body
    assert response["ETag"] == 'W/"2"'
    assert User.objects.get(pk=created["id"]).nick_name == ""


def test_put_active_false_deactivates_and_ends_sessions(scim, signed_in):
    created = scim.post("Users", {"userName": "ann@example.com"}).json()
    session_key = signed_in(User.objects.get(pk=created["id"]))

    response = scim.put(f"Users/{created['id']}", {"userName": "ann@example.com", "active": False})

    assert response.json()["active"] is False
    assert not Session.objects.filter(session_key=session_key).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=created["id"]).count() == 1


def test_deactivated_user_stays_visible_with_active_false(scim):
    created = scim.post("Users", {"userName": "ann@example.com", "active": False}).json()

    assert scim.get(f"Users/{created['id']}").json()["active"] is False
    listed = scim.get('Users?filter=userName eq "ann@example.com"').json()
    assert [r["active"] for r in listed["Resources"]] == [False]


def test_delete_soft_deletes_hides_the_user_and_keeps_the_row(scim, signed_in):
    created = scim.post("Users", {"userName": "ann@example.com"}).json()
    session_key = signed_in(User.objects.get(pk=created["id"]))

    response = scim.delete(f"Users/{created['id']}")

    assert response.status_code == 204
    assert scim.get(f"Users/{created['id']}").status_code == 404
    assert scim.get('Users?filter=userName eq "ann@example.com"').json()["totalResults"] == 0
    assert scim.delete(f"Users/{created['id']}").status_code == 404
    row = User.objects.get(pk=created["id"])
    assert row.deleted_at is not None and row.is_active is False
    assert not Session.objects.filter(session_key=session_key).exists()


def test_create_after_delete_restores_the_same_person(scim):
    created = scim.post("Users", {"userName": "ann@example.com"}).json()
    scim.delete(f"Users/{created['id']}")

    again = scim.post("Users", {"userName": "ann@example.com"})

    assert again.status_code == 201
    assert again.json()["id"] == created["id"] and again.json()["active"] is True


def test_if_match_mismatch_is_412_and_changes_nothing(scim):
    created = scim.post("Users", {"userName": "ann@example.com", "title": "Engineer"}).json()
    body = {"userName": "ann@example.com", "title": "Lead"}

    stale = scim.put(f"Users/{created['id']}", body, HTTP_IF_MATCH='W/"99"')
    patched = scim.patch(
        f"Users/{created['id']}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        },
        HTTP_IF_MATCH='W/"99"',
    )
    deleted = scim.delete(f"Users/{created['id']}", HTTP_IF_MATCH='W/"99"')

    assert [stale.status_code, patched.status_code, deleted.status_code] == [412, 412, 412]
    assert User.objects.get(pk=created["id"]).title == "Engineer"
    fresh = scim.put(f"Users/{created['id']}", body, HTTP_IF_MATCH=created["meta"]["version"])
    assert fresh.status_code == 200 and fresh.json()["title"] == "Lead"


def test_another_connection_never_sees_or_changes_my_users(scim, other_scim):
    created = scim.post("Users", {"userName": "ann@example.com"}).json()

    assert other_scim.get(f"Users/{created['id']}").status_code == 404
    assert other_scim.put(f"Users/{created['id']}", {"userName": "x@example.com"}).status_code == 404
    assert other_scim.delete(f"Users/{created['id']}").status_code == 404
    assert other_scim.get("Users").json()["totalResults"] == 0
    assert User.objects.get(pk=created["id"]).deleted_at is None


def test_of_several_emails_the_primary_one_is_kept(scim):
    body = {
        "userName": "ann",
        "emails": [
            {"value": "ann@home.example", "type": "home"},
            {"value": "ann@work.example", "type": "work", "primary": True},
        ],
    }

    response = scim.post("Users", body)

    assert response.json()["emails"] == [{"value": "ann@work.example", "type": "work"}]


def test_write_responses_honour_attributes(scim):
    response = scim.post("Users?attributes=userName", {"userName": "ann@example.com", "title": "Engineer"})

    assert response.status_code == 201
    assert response.json() == {"schemas": [USER], "id": response.json()["id"], "userName": "ann@example.com"}
    put = scim.put(
        f"Users/{response.json()['id']}?excludedAttributes=meta,name", {"userName": "ann@example.com"}
    )
    assert "meta" not in put.json() and put.json()["userName"] == "ann@example.com"


def test_get_with_the_current_etag_in_if_none_match_is_304(scim):
    created = scim.post("Users", {"userName": "ann@example.com"})
    etag = created["ETag"]

    unchanged = scim.get(f"Users/{created.json()['id']}", HTTP_IF_NONE_MATCH=etag)
    changed = scim.get(f"Users/{created.json()['id']}", HTTP_IF_NONE_MATCH='W/"999"')

    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    assert changed.status_code == 200
