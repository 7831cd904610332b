"""PATCH on Users: every request shape Okta and Microsoft Entra ID send, as documented."""

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings

from lms_identity.models import User
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LMS = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"


@pytest.fixture
def ann(scim):
    body = {
        "userName": "ann@example.com",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
        "title": "Engineer",
    }
    return scim.post("Users", body).json()


def stored(user):
    return User.objects.get(pk=user["id"])


def test_okta_deactivation_with_a_pathless_replace_ends_sessions(scim, ann, signed_in):
    # Okta: "Update a specific User (PATCH)" to deactivate, verbatim.
    key = signed_in(stored(ann))
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert stored(ann).is_active is False
    assert not Session.objects.filter(session_key=key).exists()


def test_okta_reactivation_restores_sign_in(scim, ann):
    scim.patch(f"Users/{ann['id']}", patch_op({"op": "replace", "value": {"active": False}}))

    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "replace", "value": {"active": True}}))

    assert response.json()["active"] is True
    assert stored(ann).is_active is True and stored(ann).deactivated_at is None


def test_entra_disable_with_string_boolean(scim, ann):
    # Entra without ?aadOptscim062020 sends booleans as "False" / "True" strings.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 200
    assert response.json()["active"] is False


def test_entra_update_of_multi_valued_and_name_attributes(scim, ann):
    # Entra: "Update User [Multi-valued properties]", verbatim.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.json()["emails"] == [{"value": "updatedEmail@microsoft.com", "type": "work"}]
    assert response.json()["name"] == {"givenName": "Ann", "familyName": "updatedFamilyName"}


def test_entra_update_of_user_name(scim, ann):
    # Entra: "Update User [Single-valued properties]", verbatim.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ],
    }

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.json()["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"


def test_entra_add_work_email_creates_it_when_absent(scim):
    bob = scim.post("Users", {"userName": "bob"}).json()

    response = scim.patch(
        f"Users/{bob['id']}",
        patch_op({"op": "Add", "path": 'emails[type eq "work"].value', "value": "bob@example.com"}),
    )

    assert response.json()["emails"] == [{"value": "bob@example.com", "type": "work"}]


def test_other_email_types_are_not_stored_and_do_not_replace_the_work_email(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}",
        patch_op({"op": "add", "path": 'emails[type eq "home"].value', "value": "ann@home.example"}),
    )

    assert response.status_code == 200
    assert stored(ann).email == "ann@example.com"


def test_entra_pathless_add_with_dotted_and_urn_keys(scim, ann):
    # Entra's path-less form: keys are attribute paths, dotted or URN-qualified; read-only ones ignored.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "value": {
                    "userName": "ettie@sawayn.us",
                    "name.honorificPrefix": "Anthony",
                    "name.givenName": "Ettie",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "G6G00I9RNZ0L",  # noqa: E501 - verbatim
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName": "DAV5Z5JXNJ47",  # noqa: E501 - verbatim
                },
            }
        ],
    }

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 200
    user = stored(ann)
    assert (user.user_name, user.given_name, user.employee_number) == (
        "ettie@sawayn.us",
        "Ettie",
        "G6G00I9RNZ0L",
    )


def test_entra_manager_add_with_list_value_and_remove(scim, ann):
    boss = scim.post("Users", {"userName": "boss@example.com"}).json()
    add = patch_op(
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": [{"$ref": None, "value": boss["id"]}],
        }
    )

    added = scim.patch(f"Users/{ann['id']}", add)
    removed = scim.patch(
        f"Users/{ann['id']}",
        patch_op(
            {"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
        ),
    )

    assert added.json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert ENTERPRISE not in removed.json()
    assert stored(ann).manager_id is None


def test_manager_as_plain_string_value(scim, ann):
    boss = scim.post("Users", {"userName": "boss@example.com", "externalId": "E-7"}).json()

    response = scim.patch(
        f"Users/{ann['id']}",
        patch_op({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "E-7"}),
    )

    assert response.json()[ENTERPRISE]["manager"]["value"] == boss["id"]


def test_manager_loop_is_400(scim, ann):
    bob = scim.post("Users", {"userName": "bob@example.com", ENTERPRISE: {"manager": ann["id"]}}).json()

    response = scim.patch(
        f"Users/{ann['id']}", patch_op({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": bob["id"]})
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_okta_read_only_id_in_a_pathless_replace_is_ignored(scim, ann):
    body = patch_op({"op": "replace", "value": {"id": "something-else", "title": "Lead"}})

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 200
    assert response.json()["id"] == ann["id"] and response.json()["title"] == "Lead"


def test_op_names_are_case_insensitive(scim, ann):
    for op in ("REPLACE", "Replace", "replace"):
        response = scim.patch(f"Users/{ann['id']}", patch_op({"op": op, "path": "title", "value": op}))

        assert response.json()["title"] == op


def test_extension_object_as_value_of_its_urn(scim, ann):
    body = patch_op({"op": "add", "path": ENTERPRISE, "value": {"department": "Sales", "costCenter": "42"}})

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.json()[ENTERPRISE] == {"schemas": [ENTERPRISE], "costCenter": "42", "department": "Sales"}


def test_lms_extension_hire_date_and_custom_attributes(scim, ann):
    body = patch_op(
        {"op": "add", "path": f"{LMS}:hireDate", "value": "2025-01-06"},
        {"op": "add", "path": f"{LMS}:customAttributes", "value": {"region": "EU", "jobLevel": "L3"}},
        {"op": "replace", "path": f"{LMS}:customAttributes.businessUnit", "value": "Retail"},
    )

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.json()[LMS] == {
        "schemas": [LMS],
        "hireDate": "2025-01-06",
        "customAttributes": {"region": "EU", "businessUnit": "Retail", "jobLevel": "L3"},
    }
    removed = scim.patch(
        f"Users/{ann['id']}", patch_op({"op": "remove", "path": f"{LMS}:customAttributes.region"})
    )
    assert removed.json()[LMS]["customAttributes"] == {"businessUnit": "Retail", "jobLevel": "L3"}


def test_custom_attributes_replace_keeps_what_the_idp_does_not_manage(scim, ann):
    User.objects.filter(pk=ann["id"]).update(custom_attributes={"adminNote": "keep", "region": "US"})

    response = scim.patch(
        f"Users/{ann['id']}",
        patch_op({"op": "replace", "path": f"{LMS}:customAttributes", "value": {"jobLevel": "L1"}}),
    )

    assert response.json()[LMS]["customAttributes"] == {"jobLevel": "L1"}
    assert stored(ann).custom_attributes == {"adminNote": "keep", "jobLevel": "L1"}


def test_unconfigured_custom_attribute_path_is_400_invalid_path(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}",
        patch_op({"op": "add", "path": f"{LMS}:customAttributes.shoeSize", "value": "42"}),
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidPath"


def test_bad_hire_date_is_400(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}", patch_op({"op": "add", "path": f"{LMS}:hireDate", "value": "next week"})
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_remove_without_path_is_400_no_target(scim, ann):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "remove", "value": {"title": "Engineer"}}))

    assert response.status_code == 400
    assert response.json()["scimType"] == "noTarget"


def test_remove_clears_an_attribute(scim, ann):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "remove", "path": "title"}))

    assert "title" not in response.json()
    assert stored(ann).title == ""


def test_remove_of_user_name_is_400_mutability(scim, ann):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "remove", "path": "userName"}))

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"


def test_unknown_path_is_400_invalid_path(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}", patch_op({"op": "replace", "path": "favouriteColour", "value": "red"})
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidPath"


def test_unknown_op_is_400_invalid_syntax(scim, ann):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "merge", "path": "title", "value": "x"}))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_a_patch_is_atomic(scim, ann):
    body = patch_op(
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "active", "value": "maybe"},
    )

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 400
    assert stored(ann).title == "Engineer"


def test_a_patch_failing_in_the_database_is_atomic(scim, ann):
    other = scim.post("Users", {"userName": "taken@example.com"}).json()
    body = patch_op(
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "userName", "value": other["userName"]},
    )

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 409
    assert stored(ann).title == "Engineer" and stored(ann).user_name == "ann@example.com"


@override_settings(SCIM_MAX_OPERATIONS=3)
def test_too_many_operations_is_400_too_many(scim, ann):
    body = patch_op(*[{"op": "replace", "path": "title", "value": str(i)} for i in range(4)])

    response = scim.patch(f"Users/{ann['id']}", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "tooMany"


def test_patch_without_patchop_schema_is_400(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        },
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_repeating_a_patch_changes_nothing_more(scim, ann):
    body = patch_op({"op": "replace", "path": "title", "value": "Lead"})
    first = scim.patch(f"Users/{ann['id']}", body)

    second = scim.patch(f"Users/{ann['id']}", body)

    assert first.json()["meta"]["version"] == second.json()["meta"]["version"]


def test_patch_response_honours_attributes(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}?attributes=title", patch_op({"op": "replace", "path": "title", "value": "Lead"})
    )

    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": ann["id"],
        "title": "Lead",
    }


@pytest.mark.parametrize(
    ("path", "value", "field", "read_back"),
    [
        ("userName", "ann.lee@example.com", "user_name", lambda b: b["userName"]),
        ("externalId", "okta-00u1", "external_id", lambda b: b["externalId"]),
        ("displayName", "Ann L.", "display_name", lambda b: b["displayName"]),
        ("nickName", "Annie", "nick_name", lambda b: b["nickName"]),
        ("title", "Staff Engineer", "title", lambda b: b["title"]),
        ("userType", "Contractor", "user_type", lambda b: b["userType"]),
        ("preferredLanguage", "fr-FR", "preferred_language", lambda b: b["preferredLanguage"]),
        ("locale", "fr-FR", "locale", lambda b: b["locale"]),
        ("timezone", "Europe/Paris", "timezone", lambda b: b["timezone"]),
        ("name.givenName", "Anna", "given_name", lambda b: b["name"]["givenName"]),
        ("name.familyName", "Leigh", "family_name", lambda b: b["name"]["familyName"]),
        ("name.middleName", "Q", "middle_name", lambda b: b["name"]["middleName"]),
        ("emails", [{"value": "al@example.com", "type": "work"}], "email", lambda b: b["emails"]),
        (
            f"{ENTERPRISE}:employeeNumber",
            "701984",
            "employee_number",
            lambda b: b[ENTERPRISE]["employeeNumber"],
        ),
        (f"{ENTERPRISE}:costCenter", "4130", "cost_center", lambda b: b[ENTERPRISE]["costCenter"]),
        (f"{ENTERPRISE}:organization", "Acme", "organization", lambda b: b[ENTERPRISE]["organization"]),
        (f"{ENTERPRISE}:division", "Parks", "division", lambda b: b[ENTERPRISE]["division"]),
        (f"{ENTERPRISE}:department", "Tours", "department", lambda b: b[ENTERPRISE]["department"]),
        ("department", "Tours", "department", lambda b: b[ENTERPRISE]["department"]),
        (f"{LMS}:hireDate", "2023-11-02", "hire_date", lambda b: b[LMS]["hireDate"]),
    ],
)
def test_every_attribute_is_stored_and_read_back(scim, ann, path, value, field, read_back):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "replace", "path": path, "value": value}))

    assert response.status_code == 200
    assert read_back(scim.get(f"Users/{ann['id']}").json()) == value
    stored_value = getattr(stored(ann), field)
    assert str(stored_value) == (value[0]["value"] if isinstance(value, list) else value)


@pytest.mark.parametrize("value", [{"nested": 1}, ["a"], True])
def test_a_string_attribute_given_another_type_is_400_invalid_value(scim, ann, value):
    response = scim.patch(f"Users/{ann['id']}", patch_op({"op": "replace", "path": "title", "value": value}))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert stored(ann).title == "Engineer"


def test_a_value_longer_than_stored_is_400_invalid_value(scim, ann):
    response = scim.patch(
        f"Users/{ann['id']}", patch_op({"op": "replace", "path": "locale", "value": "x" * 36})
    )

    assert response.status_code == 400
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "locale is longer than 35 characters",
    }
