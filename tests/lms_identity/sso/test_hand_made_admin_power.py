"""Admin power the IdP did not grant does not survive an SSO sign-in: a superuser flag, staff, permissions
or auth groups set by hand on a person the IdP knows are taken away at sign-in (audited), the break-glass
account aside."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.test import Client

from lms_identity.models import AuditEvent, User

from .test_id_tokens import callback

pytestmark = pytest.mark.django_db


def make_owner_by_hand(person):
    """What `manage.py shell` can do to a person: every kind of admin power, set by hand."""
    person.is_superuser = person.is_staff = True
    person.save(update_fields=["is_superuser", "is_staff"])
    person.user_permissions.add(Permission.objects.get(codename="change_idpconnection"))
    person.groups.add(AuthGroup.objects.create(name="owners"))


def test_an_sso_sign_in_strips_superuser_staff_permissions_and_groups_set_by_hand(
    client, fake_idp, fake_connection
):
    callback(Client(), fake_idp)
    ada = User.objects.get(email="ada@acme.test")
    make_owner_by_hand(ada)

    response = callback(client, fake_idp)

    assert response.status_code == 302
    ada.refresh_from_db()
    assert not (ada.is_superuser or ada.is_staff)
    assert not ada.user_permissions.exists() and not ada.groups.exists()
    event = AuditEvent.objects.get(action="admin_access.changed", target_id=str(ada.pk))
    assert event.changes == {"is_superuser": [True, False], "is_staff": [True, False]}
    assert event.actor_label == "sso-sign-in"
    assert client.get("/admin/lms_identity/idpconnection/").status_code == 302
    assert client.get("/learn/").status_code == 200


def test_an_sso_sign_in_without_hand_made_power_writes_no_admin_access_event(
    client, fake_idp, fake_connection
):
    callback(Client(), fake_idp)

    callback(client, fake_idp)

    assert not AuditEvent.objects.filter(action="admin_access.changed").exists()
