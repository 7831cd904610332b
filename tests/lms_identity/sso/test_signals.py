"""Shared Signals (CAEP, RISC) pushed as Security Event Tokens, and Okta Universal Logout, against the
fake IdP's keys: signed signals act, unsigned or foreign ones are refused and change nothing."""

import json
import time
import uuid

import jwt
import pytest
from django.test import Client

from lms_identity.models import AuditEvent, User

from .fake_idp import SigningKey
from .test_logout import signed_in

pytestmark = pytest.mark.django_db

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
EVENTS_URL = "http://testserver/sso/acme/ssf/events/"
GTR_URL = "http://testserver/sso/acme/global-token-revocation/"


def security_event(fake_idp, event, subject, *, sign_with=None, typ="secevent+jwt", **overrides):
    claims = {
        "iss": fake_idp.issuer,
        "aud": EVENTS_URL,
        "iat": int(time.time()),
        "jti": uuid.uuid4().hex,
        "sub_id": subject,
        "events": {event: {"event_timestamp": int(time.time())}},
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return (sign_with or fake_idp.key).sign(claims, typ=typ)


def push(token, slug="acme", content_type="application/secevent+jwt"):
    return Client().post(f"/sso/{slug}/ssf/events/", token, content_type=content_type)


def iss_sub(fake_idp, sub="sub-ada"):
    return {"format": "iss_sub", "iss": fake_idp.issuer, "sub": sub}


def ended_causes():
    return list(AuditEvent.objects.filter(action="session.ended").values_list("context__cause", flat=True))


def test_a_signed_caep_session_revoked_ends_the_named_idp_session(fake_idp, fake_connection):
    revoked, kept = signed_in(fake_idp, sid="s1"), signed_in(fake_idp, sid="s2")

    response = push(security_event(fake_idp, CAEP + "session-revoked", {"format": "opaque", "id": "s1"}))

    assert response.status_code == 202
    assert revoked.get("/learn/").status_code == 302 and kept.get("/learn/").status_code == 200
    assert ended_causes() == ["session_revoked"]


def test_session_revoked_for_a_person_ends_all_their_sessions_at_this_connection(fake_idp, fake_connection):
    first, second = signed_in(fake_idp, sid="s1"), signed_in(fake_idp, sid="s2")

    response = push(security_event(fake_idp, CAEP + "session-revoked", iss_sub(fake_idp)))

    assert response.status_code == 202
    assert first.get("/learn/").status_code == 302 and second.get("/learn/").status_code == 302


def test_credential_change_by_email_ends_every_session_of_the_person(fake_idp, fake_connection):
    browser = signed_in(fake_idp)

    subject = {"format": "email", "email": "ADA@acme.test"}
    response = push(security_event(fake_idp, CAEP + "credential-change", subject))

    assert response.status_code == 202
    assert browser.get("/learn/").status_code == 302
    assert ended_causes() == ["credential_change"]


def test_a_signed_risc_account_disabled_locks_the_person_out(fake_idp, fake_connection):
    browser = signed_in(fake_idp)

    response = push(security_event(fake_idp, RISC + "account-disabled", iss_sub(fake_idp)))

    assert response.status_code == 202
    ada = User.objects.get(email="ada@acme.test")
    assert ada.is_active is False
    assert browser.get("/learn/").status_code == 302
    lockout = AuditEvent.objects.get(action="user.deactivated")
    assert lockout.context["reason"] == "risc:account-disabled"


def test_an_unknown_event_is_accepted_and_changes_nothing(fake_idp, fake_connection):
    browser = signed_in(fake_idp)

    response = push(security_event(fake_idp, "https://example.com/event/unknown", iss_sub(fake_idp)))

    assert response.status_code == 202
    assert browser.get("/learn/").status_code == 200


def test_an_email_of_another_connection_acts_on_nobody(fake_idp, fake_connection, make_oidc_connection):
    make_oidc_connection("globex", fake_idp.issuer, client_id="globex", jit_policy="create")
    browser = signed_in(fake_idp)
    token = security_event(
        fake_idp,
        RISC + "account-disabled",
        {"format": "email", "email": "ada@acme.test"},
        aud="http://testserver/sso/globex/ssf/events/",
    )

    response = push(token, slug="globex")

    assert response.status_code == 202
    assert User.objects.get(email="ada@acme.test").is_active
    assert browser.get("/learn/").status_code == 200


def _unsigned(fake_idp):
    claims = {
        "iss": fake_idp.issuer,
        "aud": EVENTS_URL,
        "iat": int(time.time()),
        "jti": uuid.uuid4().hex,
        "sub_id": iss_sub(fake_idp),
        "events": {RISC + "account-disabled": {}},
    }
    return jwt.encode(claims, None, algorithm="none", headers={"typ": "secevent+jwt"})


BAD_SETS = {
    "unsigned": (_unsigned, "invalid_key"),
    "foreign-key": (
        lambda idp: security_event(
            idp, RISC + "account-disabled", iss_sub(idp), sign_with=SigningKey("RS256", kid="k1")
        ),
        "invalid_key",
    ),
    "foreign-issuer": (
        lambda idp: security_event(idp, RISC + "account-disabled", iss_sub(idp), iss="https://evil.example"),
        "invalid_issuer",
    ),
    "other-audience": (
        lambda idp: security_event(idp, RISC + "account-disabled", iss_sub(idp), aud="https://other.example"),
        "invalid_audience",
    ),
    "not-a-set": (
        lambda idp: security_event(idp, RISC + "account-disabled", iss_sub(idp), typ="JWT"),
        "invalid_request",
    ),
    "no-events": (
        lambda idp: security_event(idp, RISC + "account-disabled", iss_sub(idp), events={}),
        "invalid_request",
    ),
    "stale": (
        lambda idp: security_event(idp, RISC + "account-disabled", iss_sub(idp), iat=int(time.time()) - 3600),
        "invalid_request",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_SETS))
def test_a_bad_set_is_refused_with_its_error_and_changes_nothing(fake_idp, fake_connection, kind):
    browser = signed_in(fake_idp)
    make, err = BAD_SETS[kind]

    response = push(make(fake_idp))

    assert response.status_code == 400 and response.json()["err"] == err
    assert User.objects.get(email="ada@acme.test").is_active
    assert browser.get("/learn/").status_code == 200


def test_a_replayed_set_is_refused(fake_idp, fake_connection):
    token = security_event(fake_idp, CAEP + "session-revoked", iss_sub(fake_idp))
    assert push(token).status_code == 202
    browser = signed_in(fake_idp)

    response = push(token)

    assert response.status_code == 400 and "already used" in response.json()["description"]
    assert browser.get("/learn/").status_code == 200


def test_a_set_needs_its_media_type(fake_idp, fake_connection):
    token = security_event(fake_idp, CAEP + "session-revoked", iss_sub(fake_idp))

    assert push(token, content_type="text/plain").status_code == 400


# --- Okta Universal Logout ------------------------------------------------------------------------


def revocation(fake_idp, sub_id, *, sign_with=None, **overrides):
    now = int(time.time())
    claims = {"iss": fake_idp.issuer, "aud": GTR_URL, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
    claims.update(overrides)
    bearer = (sign_with or fake_idp.key).sign(claims)
    return Client().post(
        "/sso/acme/global-token-revocation/",
        json.dumps({"sub_id": sub_id}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
    )


def test_universal_logout_ends_every_session_of_the_person(fake_idp, fake_connection):
    first, second = signed_in(fake_idp, sid="s1"), signed_in(fake_idp, sid="s2")

    response = revocation(fake_idp, {"format": "email", "email": "ada@acme.test"})

    assert response.status_code == 204
    assert first.get("/learn/").status_code == 302 and second.get("/learn/").status_code == 302
    assert set(ended_causes()) == {"universal_logout"}


def test_universal_logout_for_an_unknown_subject_gets_404(fake_idp, fake_connection):
    response = revocation(fake_idp, iss_sub(fake_idp, sub="nobody"))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "overrides",
    [{"sign_with": "foreign"}, {"aud": "https://other.example/"}, {"iss": "https://evil.example"}],
    ids=["foreign-key", "other-audience", "foreign-issuer"],
)
def test_universal_logout_with_a_bad_bearer_gets_401_and_ends_nothing(fake_idp, fake_connection, overrides):
    browser = signed_in(fake_idp)
    if overrides.get("sign_with") == "foreign":
        overrides = {"sign_with": SigningKey("RS256", kid="k1")}

    response = revocation(fake_idp, iss_sub(fake_idp), **overrides)

    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert browser.get("/learn/").status_code == 200
