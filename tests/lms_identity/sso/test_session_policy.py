"""The session policy at token level: what an API call gets, and that a fresh session costs nothing."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms_identity.models import AuditEvent, UserSession
from lms_identity.sso import session_keys

from .test_id_tokens import callback

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def age(client, **seconds_ago):
    """Move the session's clocks back, as if that much time had passed."""
    store = SessionStore(client.session.session_key)
    for key, ago in seconds_ago.items():
        store[getattr(session_keys, key)] = time.time() - ago
    store.save()


def test_an_idle_session_gets_401_on_an_api_call_not_a_redirect(client, fake_idp, fake_connection):
    callback(client, fake_idp)
    age(client, LAST_SEEN_AT=3700)

    response = client.get("/learn/", **JSON)

    assert response.status_code == 401 and "Sign in again" in response.json()["detail"]
    assert not UserSession.objects.exists()
    assert AuditEvent.objects.get(action="session.ended").context["cause"] == "idle_timeout"


def test_an_idle_page_load_goes_to_sign_in_with_next(client, fake_idp, fake_connection):
    callback(client, fake_idp)
    age(client, LAST_SEEN_AT=3700)

    response = client.get("/learn/?tab=2")

    assert response.status_code == 302 and response["Location"] == "/login/?next=%2Flearn%2F%3Ftab%3D2"


def test_a_session_used_within_the_idle_timeout_lives_on(client, fake_idp, fake_connection):
    callback(client, fake_idp)
    age(client, LAST_SEEN_AT=3500, SIGNED_IN_AT=3500, VERIFIED_AT=10)

    assert client.get("/learn/").status_code == 200
    assert UserSession.objects.get().last_seen_at is not None


def test_an_api_call_due_for_re_verification_gets_403_with_the_url_to_refresh_at(
    client, fake_idp, fake_connection
):
    callback(client, fake_idp)
    age(client, VERIFIED_AT=3700)

    response = client.get("/learn/", **JSON)

    assert response.status_code == 403
    assert response.json()["refresh_url"] == "/sso/acme/login/?prompt=none&next=%2Flearn%2F"
    assert UserSession.objects.exists()


def test_a_page_load_due_for_re_verification_goes_to_the_idp_with_prompt_none(
    client, fake_idp, fake_connection
):
    callback(client, fake_idp)
    age(client, VERIFIED_AT=3700)

    hop = client.get("/learn/")
    authorize = client.get(hop["Location"])

    assert hop["Location"] == "/sso/acme/login/?prompt=none&next=%2Flearn%2F"
    assert "prompt=none" in authorize["Location"] and authorize["Location"].startswith(fake_idp.issuer)


def test_prompt_none_is_not_sent_for_someone_not_signed_in_through_that_connection(
    client, fake_idp, fake_connection
):
    response = client.get("/sso/acme/login/", {"prompt": "none"})

    assert "prompt=none" not in response["Location"]


def test_the_per_connection_absolute_lifetime_overrides_the_default(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, jit_policy="create", absolute_lifetime=600)
    callback(client, fake_idp)
    age(client, SIGNED_IN_AT=700, LAST_SEEN_AT=10, VERIFIED_AT=10)

    response = client.get("/learn/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert AuditEvent.objects.get(action="session.ended").context["cause"] == "absolute_timeout"


def test_a_fresh_session_adds_no_query_to_a_request(client, fake_idp, fake_connection, settings):
    callback(client, fake_idp)
    client.get("/learn/")
    with CaptureQueriesContext(connection) as with_policy:
        client.get("/learn/")

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("SessionPolicyMiddleware")]
    with CaptureQueriesContext(connection) as without_policy:
        client.get("/learn/")

    assert len(with_policy.captured_queries) == len(without_policy.captured_queries)
