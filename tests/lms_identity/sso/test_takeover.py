"""A sign-in never lands on, links or renames an account with admin power the connection was not given."""

import pytest
from django.test import Client

from lms_identity.errors import AdoptionRefused
from lms_identity.models import AuditEvent, SubjectLink, User
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor
from lms_identity.services.users import create_user
from provisioning.models import Alert
from provisioning.services.outbox_dispatch import drain_outbox
from tests.factories import UserFactory

from .test_id_tokens import assert_refused, callback

pytestmark = pytest.mark.django_db


def staff_account(**extra):
    fields = {"connection": None, "source": Source.MANUAL, "user_name": "ada@acme.test", "is_staff": True}
    return UserFactory(**{**fields, **extra})


def refusals_of(person):
    return AuditEvent.objects.filter(action="user.adoption_refused", target_id=str(person.pk))


def takeover_alert(connection):
    drain_outbox()
    return Alert.objects.filter(key=f"takeover.{connection.slug}").first()


def test_jit_sign_in_with_a_staff_account_email_is_refused_audited_and_alerted(
    client, fake_idp, fake_connection
):
    boss = staff_account()

    response = callback(client, fake_idp)

    assert_refused(response, "account_conflict")
    assert not SubjectLink.objects.exists() and User.objects.get() == boss
    assert refusals_of(boss).get().context == {
        "reason": "admin_power",
        "attempt": "adopt",
        "field": "user_name",
    }
    assert "Acme (acme)" in takeover_alert(fake_connection).message


def test_jit_sign_in_with_an_ordinary_account_email_is_refused_without_an_alert(
    client, fake_idp, fake_connection
):
    staff_account(is_staff=False)

    response = callback(client, fake_idp)

    assert_refused(response, "account_conflict")
    assert not AuditEvent.objects.filter(action="user.adoption_refused").exists()
    assert takeover_alert(fake_connection) is None


def test_the_scim_join_never_reaches_a_staff_account_scim_could_not_adopt(
    client, fake_idp, make_oidc_connection
):
    acme = make_oidc_connection("acme", fake_idp.issuer, user_join="sub")
    acme.adopt_existing_accounts = True
    acme.save()
    boss = staff_account()
    with pytest.raises(AdoptionRefused):
        create_user(
            connection=acme,
            actor=Actor.of_connection(acme),
            attrs={"user_name": "ada@acme.test", "external_id": "sub-ada"},
        )

    response = callback(client, fake_idp)

    assert_refused(response, "jit_not_allowed")
    boss.refresh_from_db()
    assert (boss.connection, boss.external_id) == (None, "")
    assert not SubjectLink.objects.exists()


def test_the_scim_join_signs_in_an_ordinary_account_scim_adopted(client, fake_idp, make_oidc_connection):
    acme = make_oidc_connection("acme", fake_idp.issuer, user_join="sub")
    acme.adopt_existing_accounts = True
    acme.save()
    ada = staff_account(is_staff=False)
    create_user(
        connection=acme,
        actor=Actor.of_connection(acme),
        attrs={"user_name": "ada@acme.test", "external_id": "sub-ada"},
    )

    response = callback(client, fake_idp)

    assert response.status_code == 302 and client.session["_auth_user_id"] == str(ada.pk)


def test_sign_in_never_renames_a_just_in_time_admin_but_lets_them_in(client, fake_idp, fake_connection):
    callback(Client(), fake_idp)
    User.objects.update(is_staff=True)  # made staff by an admin after the first sign-in

    response = callback(client, fake_idp, email="someone.else@acme.test", family_name="King")

    assert response.status_code == 302
    ada = User.objects.get()
    assert (ada.email, ada.family_name) == ("ada@acme.test", "King")
    assert refusals_of(ada).get().context["attempt"] == "rename"
    assert takeover_alert(fake_connection) is not None
