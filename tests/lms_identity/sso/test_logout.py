"""Sign-out (RP-initiated), front-channel and back-channel logout, and the SSO rate limit, against the
fake IdP in a thread (token level; the browser tests drive the real oidc-provider)."""

import time
import uuid
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.test import Client

from lms_identity.models import AuditEvent, UserSession

from .fake_idp import SigningKey
from .test_id_tokens import callback

pytestmark = pytest.mark.django_db

BCL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(fake_idp, *, sign_with=None, **overrides):
    now = int(time.time())
    claims = {
        "iss": fake_idp.issuer,
        "aud": fake_idp.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "events": {BCL_EVENT: {}},
        "sid": "idp-session-1",
        "sub": "sub-ada",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return (sign_with or fake_idp.key).sign(claims, typ="logout+jwt")


def post_logout_token(token, slug="acme"):
    return Client().post(f"/sso/{slug}/backchannel-logout/", {"logout_token": token})


def signed_in(fake_idp, sid="idp-session-1", **claims):
    browser = Client()
    callback(browser, fake_idp, sid=sid, **claims)
    assert browser.get("/learn/").status_code == 200
    return browser


# --- sign-out -------------------------------------------------------------------------------------


def test_sign_out_sends_the_browser_to_the_idps_end_session_endpoint_with_the_id_token_hint(
    client, fake_idp, fake_connection
):
    fake_idp.end_session = True
    callback(client, fake_idp, sid="idp-session-1")
    id_token = UserSession.objects.get().id_token

    response = client.post("/logout/")

    assert response.status_code == 302
    url = urlparse(response["Location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake_idp.issuer}/logout"
    assert query["id_token_hint"] == id_token and id_token.count(".") == 2
    assert query["post_logout_redirect_uri"] == "http://testserver/sso/acme/signed-out/"
    assert query["client_id"] == "lms-client" and query["state"]
    assert not UserSession.objects.exists() and client.get("/learn/").status_code == 302
    assert AuditEvent.objects.get(action="session.ended").context["cause"] == "rp_logout"


def test_the_signed_out_page_names_the_idp_only_for_the_state_our_sign_out_sent(
    client, fake_idp, fake_connection
):
    fake_idp.end_session = True
    callback(client, fake_idp)
    state = parse_qs(urlparse(client.post("/logout/")["Location"]).query)["state"][0]

    ours = client.get("/sso/acme/signed-out/", {"state": state}).content.decode()
    forged = client.get("/sso/acme/signed-out/", {"state": "forged"}).content.decode()

    assert 'id="signed-out-idp"' in ours
    assert 'id="signed-out-idp"' not in forged and 'id="signed-out-local"' in forged


def test_the_registration_values_include_the_logout_uris(fake_connection, settings):
    from lms_identity.services.oidc_config import sso_urls

    settings.PUBLIC_URL = "https://learn.example.com"

    urls = sso_urls(fake_connection)

    assert urls["post_logout_redirect_uri"] == "https://learn.example.com/sso/acme/signed-out/"
    assert urls["backchannel_logout_uri"] == "https://learn.example.com/sso/acme/backchannel-logout/"
    assert urls["backchannel_logout_session_required"] == "true"


# --- front-channel --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"iss": "ISSUER"},
        {"sid": "idp-session-1"},
        {"iss": "https://evil.example", "sid": "idp-session-1"},
        {"iss": "ISSUER", "sid": "another-session"},
    ],
    ids=["nothing", "no-sid", "no-iss", "other-iss", "other-sid"],
)
def test_front_channel_logout_without_a_matching_iss_and_sid_ends_nothing(fake_idp, fake_connection, query):
    browser = signed_in(fake_idp)
    query = {k: (fake_idp.issuer if v == "ISSUER" else v) for k, v in query.items()}

    response = browser.get("/sso/acme/logout/", query)

    assert response.status_code == 200
    assert browser.get("/learn/").status_code == 200
    assert not AuditEvent.objects.filter(action="session.ended").exists()


def test_front_channel_logout_with_iss_and_sid_ends_that_idp_session_even_without_our_cookie(
    fake_idp, fake_connection
):
    browser = signed_in(fake_idp)

    response = Client().get("/sso/acme/logout/", {"iss": fake_idp.issuer, "sid": "idp-session-1"})

    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert browser.get("/learn/").status_code == 302
    assert AuditEvent.objects.get(action="session.ended").context["cause"] == "frontchannel_logout"


# --- back-channel ---------------------------------------------------------------------------------


def test_a_valid_logout_token_ends_the_session_of_its_sid(fake_idp, fake_connection):
    browser = signed_in(fake_idp, sid="idp-session-1")
    other = signed_in(fake_idp, sid="idp-session-2")

    response = post_logout_token(logout_token(fake_idp, sid="idp-session-1"))

    assert (response.status_code, response["Cache-Control"]) == (200, "no-store")
    assert browser.get("/learn/").status_code == 302
    assert other.get("/learn/").status_code == 200
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.context["cause"], event.context["sessions_ended"]) == ("backchannel_logout", 1)


def test_a_logout_token_with_only_sub_ends_every_session_of_that_person_at_this_connection(
    fake_idp, fake_connection
):
    first, second = signed_in(fake_idp, sid="s1"), signed_in(fake_idp, sid="s2")

    response = post_logout_token(logout_token(fake_idp, sid=None, sub="sub-ada"))

    assert response.status_code == 200
    assert first.get("/learn/").status_code == 302 and second.get("/learn/").status_code == 302


def test_a_logout_token_for_the_same_sid_at_another_connection_ends_nothing(
    fake_idp, fake_connection, make_oidc_connection
):
    make_oidc_connection("globex", fake_idp.issuer, client_id="globex-client", jit_policy="create")
    browser = signed_in(fake_idp, sid="idp-session-1")

    response = post_logout_token(logout_token(fake_idp, aud="globex-client"), slug="globex")

    assert response.status_code == 200
    assert browser.get("/learn/").status_code == 200


def _unsigned(fake_idp):
    now = int(time.time())
    claims = {
        "iss": fake_idp.issuer,
        "aud": fake_idp.client_id,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "events": {BCL_EVENT: {}},
        "sid": "idp-session-1",
    }
    return jwt.encode(claims, None, algorithm="none")


BAD_TOKENS = {
    "unsigned": _unsigned,
    "foreign-key": lambda idp: logout_token(idp, sign_with=SigningKey("RS256", kid="k1")),
    "hs256-with-client-secret": lambda idp: jwt.encode(
        {
            "iss": idp.issuer,
            "aud": idp.client_id,
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "jti": "x",
            "events": {BCL_EVENT: {}},
            "sid": "idp-session-1",
        },
        idp.client_secret * 8,
        algorithm="HS256",
    ),
    "wrong-audience": lambda idp: logout_token(idp, aud="someone-else"),
    "wrong-issuer": lambda idp: logout_token(idp, iss="https://evil.example"),
    "expired": lambda idp: logout_token(idp, iat=int(time.time()) - 3600, exp=int(time.time()) - 3000),
    "issued-long-ago": lambda idp: logout_token(idp, iat=int(time.time()) - 3600),
    "nonce-bearing": lambda idp: logout_token(idp, nonce="n-1"),
    "no-events": lambda idp: logout_token(idp, events=None),
    "other-event": lambda idp: logout_token(idp, events={"urn:other": {}}),
    "no-sub-no-sid": lambda idp: logout_token(idp, sub=None, sid=None),
    "no-jti": lambda idp: logout_token(idp, jti=None),
    "not-a-jwt": lambda idp: "not-a-jwt",
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_logout_token_gets_400_with_an_error_and_ends_nothing(fake_idp, fake_connection, kind):
    browser = signed_in(fake_idp)

    response = post_logout_token(BAD_TOKENS[kind](fake_idp))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" and response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"
    assert browser.get("/learn/").status_code == 200
    assert not AuditEvent.objects.filter(action="session.ended").exists()


def test_a_replayed_logout_token_gets_400(fake_idp, fake_connection):
    token = logout_token(fake_idp, sid="idp-session-1")
    assert post_logout_token(token).status_code == 200
    browser = signed_in(fake_idp, sid="idp-session-1")

    response = post_logout_token(token)

    assert response.status_code == 400 and "already used" in response.json()["error_description"]
    assert browser.get("/learn/").status_code == 200


def test_a_logout_token_to_an_unknown_connection_gets_400(fake_idp, fake_connection):
    response = post_logout_token(logout_token(fake_idp), slug="nope")

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- rate limit -----------------------------------------------------------------------------------


def test_an_anonymous_flood_of_sso_requests_gets_429_with_retry_after(fake_idp, fake_connection, settings):
    settings.SSO_RATE_LIMIT = 3
    flooder = Client(REMOTE_ADDR=f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    neighbour = Client(REMOTE_ADDR="10.8.0.1")

    statuses = [flooder.get("/sso/acme/callback/", {"state": "x"}).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 429, 429]
    assert int(flooder.get("/sso/acme/login/")["Retry-After"]) > 0
    assert neighbour.get("/sso/acme/login/").status_code == 302
    assert not AuditEvent.objects.filter(action="sso.login").exists()


def test_a_signed_in_person_is_not_rate_limited(fake_idp, fake_connection, settings):
    browser = signed_in(fake_idp)
    settings.SSO_RATE_LIMIT = 2

    statuses = {browser.get("/sso/acme/login/").status_code for _ in range(4)}

    assert statuses == {302}


def test_back_channel_floods_have_their_own_limit_and_a_json_429(fake_idp, fake_connection, settings):
    settings.SSO_SIGNAL_RATE_LIMIT = 1
    idp = Client(REMOTE_ADDR=f"10.7.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")

    first = idp.post("/sso/acme/backchannel-logout/", {"logout_token": logout_token(fake_idp)})
    second = idp.post("/sso/acme/backchannel-logout/", {"logout_token": logout_token(fake_idp)})

    assert first.status_code == 200
    assert second.status_code == 429 and second.json()["error"] == "slow_down"
