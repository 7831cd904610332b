"""After the clean-up before SCIM, the IdP's creates land on the accounts that were kept."""

import io

import pytest
from django.core.management import call_command

from lms_identity.models import User
from lms_identity.services.account_cleanup import mark_account
from lms_identity.services.audit import Actor
from tests.lms_identity.cleanup.conftest import MESSY_CSV, make_legacy, manual

pytestmark = pytest.mark.django_db

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def okta_create(user_name, email=None):
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": email or user_name, "type": "work"}],
        "active": True,
    }


@pytest.fixture
def cleaned_up(tmp_path):
    legacy = make_legacy()
    legacy["boss_home"].employee_number = ""
    legacy["boss_home"].save()
    path = tmp_path / "legacy.csv"
    path.write_text(MESSY_CSV)
    call_command("import_accounts", str(path), stdout=io.StringIO())
    return legacy


@pytest.mark.parametrize("email", ["Jane.Doe@corp.example", "jane@oldcorp.example"])
def test_after_the_merge_a_post_under_either_email_lands_on_the_kept_account(
    scim, adopting_connection, cleaned_up, email
):
    accounts = User.objects.count()

    response = scim.post("Users", okta_create(email))

    assert response.status_code == 201, response.content
    assert response.json()["id"] == str(cleaned_up["jdoe"].pk)
    assert User.objects.count() == accounts
    kept = User.objects.get(pk=cleaned_up["jdoe"].pk)
    assert kept.connection == adopting_connection and kept.email == email and kept.is_active
    assert not User.objects.get(pk=cleaned_up["jane_old"].pk).is_active


def test_a_post_naming_the_keeper_and_the_merged_email_lands_on_the_keeper(
    scim, adopting_connection, cleaned_up
):
    response = scim.post("Users", okta_create("jdoe", "jane@oldcorp.example"))

    assert response.status_code == 201, response.content
    assert response.json()["id"] == str(cleaned_up["jdoe"].pk)
    assert User.objects.get(pk=cleaned_up["jane_old"].pk).email == ""  # given up to the survivor


def test_new_people_merged_after_the_import_are_matched_not_duplicated(scim, adopting_connection, cleaned_up):
    carol = User.objects.get(user_name="carol")
    accounts = User.objects.count()

    response = scim.post("Users", okta_create("carol.w@corp.example"))

    assert response.status_code == 201 and response.json()["id"] == str(carol.pk)
    assert User.objects.count() == accounts


def test_with_the_switch_off_the_same_post_is_refused_not_duplicated(scim, connection, cleaned_up):
    accounts = User.objects.count()

    response = scim.post("Users", okta_create("Jane.Doe@corp.example"))

    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert User.objects.count() == accounts


def test_a_mark_to_be_adopted_lets_this_connection_only_adopt_with_the_switch_off(
    scim, other_scim, connection, other_connection
):
    person = manual("ann", "ann@corp.example")
    mark_account(person, kind="adopt", connection=connection, actor=Actor.system("tests"))

    refused = other_scim.post("Users", okta_create("ann@corp.example"))
    adopted = scim.post("Users", okta_create("ann@corp.example"))

    assert refused.status_code == 409
    assert adopted.status_code == 201 and adopted.json()["id"] == str(person.pk)


def test_a_mark_to_keep_unmanaged_is_never_adopted_even_with_the_switch_on(scim, adopting_connection):
    person = manual("ann", "ann@corp.example")
    mark_account(person, kind="keep", actor=Actor.system("tests"))

    response = scim.post("Users", okta_create("ann@corp.example"))

    assert response.status_code == 409
    assert User.objects.get(pk=person.pk).connection is None


def test_the_privileged_account_is_still_never_adopted_after_the_clean_up(
    scim, adopting_connection, cleaned_up
):
    response = scim.post("Users", okta_create("boss@corp.example"))

    assert response.status_code == 409
    assert User.objects.get(pk=cleaned_up["boss"].pk).connection is None
