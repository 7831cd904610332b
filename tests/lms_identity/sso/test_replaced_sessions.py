"""Another person signing in on the same browser: the previous person's session ends through the session
service (cause replaced), never flushed unseen by Django's login; the same person signing in again keeps
one indexed session."""

import pytest
from django.contrib.sessions.models import Session

from lms_identity.models import AuditEvent, User, UserSession
from tests.factories import UserFactory

from .test_id_tokens import callback

pytestmark = pytest.mark.django_db


def test_an_sso_sign_in_over_another_persons_session_ends_it_as_replaced(client, fake_idp, fake_connection):
    bob = UserFactory(connection=fake_connection)
    client.force_login(bob)
    bobs_key = client.session.session_key

    response = callback(client, fake_idp)

    assert response.status_code == 302
    ada = User.objects.get(email="ada@acme.test")
    assert client.session["_auth_user_id"] == str(ada.pk)
    assert not Session.objects.filter(session_key=bobs_key).exists()
    assert list(UserSession.objects.values_list("user_id", flat=True)) == [ada.pk]
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.target_id, event.actor_id, event.context["cause"]) == (str(bob.pk), str(bob.pk), "replaced")


def test_the_same_person_signing_in_again_ends_nothing_and_keeps_one_indexed_session(
    client, fake_idp, fake_connection
):
    callback(client, fake_idp)

    callback(client, fake_idp)

    assert UserSession.objects.get().session_key == client.session.session_key
    assert not AuditEvent.objects.filter(action="session.ended").exists()
