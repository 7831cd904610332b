"""Token-level tests: a fake IdP in a thread hands out ID tokens the test signs itself (no browser)."""

import logging
import time
from datetime import timedelta

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from lms_identity.models import AuditEvent, OidcConfig, User, UserSession

from .conftest import start_login
from .fake_idp import SigningKey

pytestmark = pytest.mark.django_db


def callback(
    client, fake_idp, *, slug="acme", token=None, sign_with=None, userinfo=None, start=None, **claims
):
    """Start a login, sign an ID token for its nonce (claims overridden by kwargs), and hit the callback."""
    state, nonce, _ = start or start_login(client, slug)
    if token is None:
        token = (sign_with or fake_idp.key).sign(fake_idp.claims(nonce, **claims))
    code = fake_idp.issue_code(token, userinfo=userinfo)
    return client.get(f"/sso/{slug}/callback/", {"code": code, "state": state})


def assert_refused(response, reason, detail_part="", *, audited=True):
    assert response.status_code in (400, 403, 409), response.status_code
    assert "We could not sign you in" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    if not audited:  # a callback nobody started here writes nothing (issue 9)
        assert reason in response.content.decode()
        assert not AuditEvent.objects.filter(action="sso.login", context__outcome="refused").exists()
        return
    event = AuditEvent.objects.filter(action="sso.login").latest("id")
    assert (event.context["outcome"], event.context["reason"]) == ("refused", reason)
    assert detail_part in event.context["detail"]


def test_a_valid_id_token_signs_the_person_in_and_lands_on_learn(client, fake_idp, fake_connection):
    response = callback(client, fake_idp)

    assert (response.status_code, response["Location"]) == (302, "/learn/")
    ada = User.objects.get(email="ada@acme.test")
    assert client.session["_auth_user_id"] == str(ada.pk)
    assert UserSession.objects.get(session_key=client.session.session_key).user == ada


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(client, fake_idp, fake_connection):
    _, _, params = start_login(client, "acme")

    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == "http://testserver/sso/acme/callback/"
    assert params["client_id"] == "lms-client" and params["nonce"]


def test_acr_values_are_sent_when_the_connection_requires_an_acr(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, mfa_policy="require_acr", mfa_acr_values="urn:acr:mfa")

    _, _, params = start_login(client, "acme")

    assert params["acr_values"] == "urn:acr:mfa"


def test_wrong_signature_is_refused(client, fake_idp, fake_connection):
    impostor = SigningKey("RS256", kid="k1")  # same kid, another key

    assert_refused(callback(client, fake_idp, sign_with=impostor), "token_invalid", "signature")
    assert not User.objects.exists()


def test_alg_none_is_refused(client, fake_idp, fake_connection):
    state, nonce, _ = start_login(client, "acme")
    unsigned = jwt.encode(fake_idp.claims(nonce), None, algorithm="none", headers={"kid": "k1"})

    assert_refused(
        callback(client, fake_idp, token=unsigned, start=(state, nonce, {})), "token_invalid", "'none'"
    )


def test_hs256_signed_with_the_client_secret_is_refused(client, fake_idp, fake_connection):
    state, nonce, _ = start_login(client, "acme")
    hs = jwt.encode(fake_idp.claims(nonce), "s3cret" * 6, algorithm="HS256", headers={"kid": "k1"})

    assert_refused(callback(client, fake_idp, token=hs, start=(state, nonce, {})), "token_invalid", "'HS256'")


def test_es256_is_accepted_when_the_idp_publishes_an_ec_key(client, fake_idp, fake_connection):
    fake_idp.key = SigningKey("ES256", kid="ec1")
    fake_idp.published = [fake_idp.key]

    assert callback(client, fake_idp).status_code == 302


def test_a_token_for_another_client_is_refused(client, fake_idp, fake_connection):
    assert_refused(callback(client, fake_idp, aud="someone-else"), "token_invalid", "aud")


def test_several_audiences_need_azp_naming_us(client, fake_idp, fake_connection):
    refused = callback(client, fake_idp, aud=["lms-client", "other"])
    assert_refused(refused, "token_invalid", "no azp")

    accepted = callback(Client(), fake_idp, aud=["lms-client", "other"], azp="lms-client")

    assert accepted.status_code == 302


def test_azp_of_another_client_is_refused(client, fake_idp, fake_connection):
    assert_refused(callback(client, fake_idp, azp="other"), "token_invalid", "azp")


def test_a_token_from_another_issuer_is_refused(client, fake_idp, fake_connection):
    assert_refused(callback(client, fake_idp, iss=fake_idp.issuer + "/"), "token_invalid", "iss")


def test_an_expired_token_is_refused(client, fake_idp, fake_connection):
    now = int(time.time())

    assert_refused(callback(client, fake_idp, iat=now - 3600, exp=now - 1800), "token_invalid", "expired")


def test_a_token_with_another_nonce_is_refused(client, fake_idp, fake_connection):
    state, _, _ = start_login(client, "acme")
    token = fake_idp.key.sign(fake_idp.claims("not-the-nonce-we-sent"))

    assert_refused(callback(client, fake_idp, token=token, start=(state, "x", {})), "token_invalid", "nonce")


def test_auth_time_older_than_max_age_is_refused(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, jit_policy="create", max_age=300)

    response = callback(client, fake_idp, auth_time=int(time.time()) - 3600)

    assert_refused(response, "token_invalid", "max_age")


def test_unknown_kid_refetches_once_a_minute_and_a_rotation_is_picked_up(client, fake_idp, fake_connection):
    callback(Client(), fake_idp)  # warm: one fetch
    assert fake_idp.requests["jwks"] == 1
    rotated = SigningKey("RS256", kid="k2")

    first = callback(client, fake_idp, sign_with=rotated)  # unknown kid, fetched a moment ago: no refetch
    assert_refused(first, "token_invalid", "key")
    fake_idp.published = [rotated]
    second = callback(Client(), fake_idp, sign_with=rotated)  # still within the minute
    assert fake_idp.requests["jwks"] == 1
    OidcConfig.objects.update(jwks_fetched_at=timezone.now() - timedelta(minutes=2))
    third = callback(Client(), fake_idp, sign_with=rotated)
    fourth = callback(Client(), fake_idp, sign_with=rotated)

    assert second.status_code == 400
    assert (third.status_code, fourth.status_code) == (302, 302)
    assert fake_idp.requests["jwks"] == 2


def test_warm_key_cache_means_no_fetch_per_login(client, fake_idp, fake_connection):
    for _ in range(3):
        assert callback(Client(), fake_idp).status_code == 302

    assert (fake_idp.requests["jwks"], fake_idp.requests["metadata"]) == (1, 1)


def test_a_replayed_code_is_refused(client, fake_idp, fake_connection):
    state, nonce, _ = start_login(client, "acme")
    code = fake_idp.issue_code(fake_idp.key.sign(fake_idp.claims(nonce)))
    assert client.get("/sso/acme/callback/", {"code": code, "state": state}).status_code == 302
    attacker = Client()
    attacker_state, _, _ = start_login(attacker, "acme")

    response = attacker.get("/sso/acme/callback/", {"code": code, "state": attacker_state})

    assert_refused(response, "token_exchange_failed", "invalid_grant")


def test_a_replayed_state_is_refused(client, fake_idp, fake_connection):
    state, nonce, _ = start_login(client, "acme")
    code = fake_idp.issue_code(fake_idp.key.sign(fake_idp.claims(nonce)))
    client.get("/sso/acme/callback/", {"code": code, "state": state})
    client.post("/logout/")

    response = client.get("/sso/acme/callback/", {"code": fake_idp.issue_code("x"), "state": state})

    assert_refused(response, "state_mismatch", audited=False)


def test_a_state_this_browser_never_started_is_refused_before_any_token_request(
    client, fake_idp, fake_connection
):
    start_login(client, "acme")

    response = client.get("/sso/acme/callback/", {"code": "abc", "state": "forged"})

    assert_refused(response, "state_mismatch", audited=False)
    assert fake_idp.token_requests == []


def test_a_state_started_for_another_connection_is_refused(
    client, fake_idp, fake_connection, make_oidc_connection
):
    make_oidc_connection("globex", fake_idp.issuer, jit_policy="create")
    state, nonce, _ = start_login(client, "acme")
    code = fake_idp.issue_code(fake_idp.key.sign(fake_idp.claims(nonce)))

    response = client.get("/sso/globex/callback/", {"code": code, "state": state})

    assert_refused(response, "state_mismatch", audited=False)
    assert fake_idp.token_requests == []


@pytest.mark.parametrize(
    "target", ["https://evil.example/learn/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_off_our_site_is_ignored_and_the_person_lands_on_learn(
    client, fake_idp, fake_connection, target
):
    response = callback(client, fake_idp, start=start_login(client, "acme", next=target))

    assert (response.status_code, response["Location"]) == (302, "/learn/")


def test_next_on_our_site_is_where_the_person_lands(client, fake_idp, fake_connection):
    response = callback(client, fake_idp, start=start_login(client, "acme", next="/learn/?tab=paths"))

    assert response["Location"] == "/learn/?tab=paths"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://testserver.evil.example/"]
)
def test_initiate_refuses_a_target_link_uri_off_our_site(client, fake_idp, fake_connection, target):
    response = client.get("/sso/acme/initiate/", {"iss": fake_idp.issuer, "target_link_uri": target})

    assert_refused(response, "unsafe_target", "target_link_uri")


def test_initiate_refuses_an_unknown_issuer(client, fake_idp, fake_connection):
    response = client.get("/sso/acme/initiate/", {"iss": "https://evil.example"})

    assert_refused(response, "unknown_issuer")


def test_initiate_from_the_idp_starts_login_with_hint_and_target(client, fake_idp, fake_connection):
    response = client.post(
        "/sso/acme/initiate/",
        {
            "iss": fake_idp.issuer,
            "login_hint": "ada@acme.test",
            "target_link_uri": "http://testserver/learn/?x=1",
        },
    )

    assert response.status_code == 302
    start = client.get(response["Location"])
    assert "login_hint=ada%40acme.test" in start["Location"]
    state = next(iter(client.session["oidc_states"]))
    assert client.session["oidc_states"][state]["next"] == "http://testserver/learn/?x=1"


def test_an_idp_error_renders_a_page_with_the_reason_and_a_retry_link(client, fake_idp, fake_connection):
    state, _, _ = start_login(client, "acme")

    response = client.get(
        "/sso/acme/callback/", {"error": "access_denied", "error_description": "denied", "state": state}
    )

    assert_refused(response, "idp_error", "access_denied")
    assert response.status_code == 403
    assert 'href="/sso/acme/login/?prompt=login"' in response.content.decode()


def test_no_token_reaches_the_logs(client, fake_idp, fake_connection, caplog):
    state, nonce, _ = start_login(client, "acme")
    token = fake_idp.key.sign(fake_idp.claims(nonce, aud="other"))
    caplog.set_level(logging.DEBUG)

    callback(client, fake_idp, token=token, start=(state, nonce, {}))

    assert token not in caplog.text and token.split(".")[1] not in caplog.text


def test_an_expired_state_is_refused_before_any_token_request(client, fake_idp, fake_connection):
    state, nonce, _ = start_login(client, "acme")
    session = client.session
    session["oidc_states"][state]["added_on"] -= 3600
    session.save()

    response = callback(client, fake_idp, start=(state, nonce, {}))

    assert_refused(response, "state_mismatch", "expired")
    assert fake_idp.token_requests == []


def test_an_iat_sent_as_a_string_is_refused_with_a_page_not_a_500(client, fake_idp, fake_connection):
    response = callback(client, fake_idp, iat=str(int(time.time())))

    assert_refused(response, "token_invalid", "iat")


def test_the_state_is_matched_by_connection_not_by_the_settings_row(client, fake_idp, make_oidc_connection):
    from tests.factories import ConnectionFactory

    ConnectionFactory(slug="scim-only")  # the OIDC settings row's id now differs from its connection's
    make_oidc_connection("acme", fake_idp.issuer, jit_policy="create")

    response = callback(client, fake_idp)

    assert (response.status_code, response["Location"]) == (302, "/learn/")
