"""The sign-in pages, sign-out, front-channel logout, the admin's password login, the command, the admin."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from lms_identity.models import AuditEvent, GroupClaimMapping, IdpConnection, OidcConfig, User, UserSession
from lms_identity.sso.demo import configure_demo_sso
from tests.factories import ConnectionFactory, GroupFactory

from .conftest import start_login
from .test_id_tokens import callback

pytestmark = pytest.mark.django_db


def test_login_page_lists_enabled_connections_only(client, make_oidc_connection):
    make_oidc_connection("acme", "https://acme.okta.test")
    make_oidc_connection("gone", "https://gone.test")
    IdpConnection.objects.filter(slug="gone").update(enabled=False)
    ConnectionFactory(slug="scim-only")

    page = client.get("/login/").content.decode()

    assert 'href="/sso/acme/login/"' in page
    assert "/sso/gone/" not in page and "/sso/scim-only/" not in page


def test_work_email_goes_to_the_connection_of_its_domain_with_a_login_hint(client, make_oidc_connection):
    make_oidc_connection("acme", "https://acme.okta.test", allowed_domains="acme.test,acme.co.uk")

    response = client.post("/login/", {"email": "Ada@ACME.co.uk", "next": "/learn/?x=1"})

    assert response.status_code == 302
    assert response["Location"] == "/sso/acme/login/?login_hint=Ada%40ACME.co.uk&next=%2Flearn%2F%3Fx%3D1"


def test_work_email_of_an_unknown_domain_says_so(client, make_oidc_connection):
    make_oidc_connection("acme", "https://acme.okta.test", allowed_domains="acme.test")

    response = client.post("/login/", {"email": "ada@elsewhere.test"})

    assert response.status_code == 404
    assert "We do not know a sign-in for that email domain" in response.content.decode()


def test_unknown_connection_gets_a_404_page(client):
    response = client.get("/sso/nope/login/")

    assert response.status_code == 404 and "does not exist" in response.content.decode()


def test_unreachable_idp_gets_a_page_not_a_500(client, make_oidc_connection):
    make_oidc_connection("acme", "http://127.0.0.1:8209")  # nothing listens there

    response = client.get("/sso/acme/login/")

    assert response.status_code == 502 and "could not be reached" in response.content.decode()


def test_sign_out_without_an_end_session_endpoint_ends_our_session_and_says_the_idp_one_remains(
    client, fake_idp, fake_connection
):
    callback(client, fake_idp)
    assert UserSession.objects.count() == 1

    response = client.post("/logout/")

    assert response.status_code == 200
    assert "signed out of the learning platform only" in " ".join(response.content.decode().split())
    assert not UserSession.objects.exists()
    assert client.get("/learn/").status_code == 302
    ended = AuditEvent.objects.get(action="session.ended")
    assert (ended.context["cause"], ended.context["sessions_ended"]) == ("logout", 1)


def test_admin_password_login_is_off_for_an_ordinary_superuser(client):
    User.objects.create_superuser("root", "root@example.com", "correct horse")

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": "correct horse"})

    assert response.status_code == 403 and client.get("/admin/").status_code == 302


def test_add_connection_configures_oidc_and_prints_the_urls_but_never_the_secret():
    out = io.StringIO()

    call_command(
        "add_connection",
        "okta",
        "--issuer",
        "https://acme.okta.com",
        "--client-id",
        "0oa1",
        "--client-secret",
        "very-secret-value",
        "--jit",
        "restricted",
        "--allowed-domains",
        "acme.com,acme.org",
        "--mfa",
        "require_amr",
        stdout=out,
    )

    config = OidcConfig.objects.get(connection__slug="okta")
    assert (config.issuer, config.client_id, config.jit_policy, config.mfa_policy) == (
        "https://acme.okta.com",
        "0oa1",
        "restricted",
        "require_amr",
    )
    assert config.domain_list == ["acme.com", "acme.org"]
    assert "http://127.0.0.1:8000/sso/okta/callback/" in out.getvalue()
    assert "very-secret-value" not in out.getvalue()
    assert "very-secret-value" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_add_connection_refuses_an_issuer_that_is_not_http():
    call_command(
        "add_connection", "okta", "--issuer", "https://a.test", "--client-id", "x", stdout=io.StringIO()
    )

    with pytest.raises(CommandError, match="issuer"):
        call_command("add_connection", "okta", "--issuer", "ftp://a.test", stdout=io.StringIO())


def test_admin_shows_the_urls_to_register_and_keeps_the_secret_write_only(admin_client, make_oidc_connection):
    connection = make_oidc_connection("acme", "https://acme.okta.test", client_secret="hunter2-secret")
    config = OidcConfig.objects.get(connection=connection)

    page = admin_client.get(f"/admin/lms_identity/oidcconfig/{config.pk}/change/").content.decode()

    assert "http://127.0.0.1:8000/sso/acme/callback/" in page
    assert "http://127.0.0.1:8000/sso/acme/logout/" in page
    assert "hunter2-secret" not in page


def test_admin_save_without_a_secret_keeps_the_stored_one(admin_client, make_oidc_connection):
    connection = make_oidc_connection("acme", "https://acme.okta.test", client_secret="hunter2-secret")
    config = OidcConfig.objects.get(connection=connection)
    form = {
        "connection": connection.pk,
        "issuer": "https://acme.okta.test",
        "client_id": "new-id",
        "client_secret": "",
        "scopes": "openid email",
        "algorithms": "RS256",
        "claim_mapping": "{}",
        "groups_claim": "groups",
        "jit_policy": "off",
        "jit_required_group": "",
        "allowed_domains": "",
        "mfa_policy": "trust_idp",
        "mfa_amr_values": "mfa",
        "mfa_acr_values": "",
        "max_age": "",
        "user_join": "sub",
    }

    response = admin_client.post(f"/admin/lms_identity/oidcconfig/{config.pk}/change/", form)

    config.refresh_from_db()
    assert response.status_code == 302
    assert (config.client_id, config.client_secret) == ("new-id", "hunter2-secret")
    assert AuditEvent.objects.filter(action="connection.oidc_updated", actor_type="admin").exists()


def test_admin_maps_a_group_claim_of_the_same_connection_only(admin_client, make_oidc_connection):
    connection = make_oidc_connection("acme", "https://acme.okta.test")
    mine, theirs = GroupFactory(connection=connection), GroupFactory()

    admin_client.post(
        "/admin/lms_identity/groupclaimmapping/add/",
        {"connection": connection.pk, "claim_value": "x", "group": theirs.pk},
    )
    admin_client.post(
        "/admin/lms_identity/groupclaimmapping/add/",
        {"connection": connection.pk, "claim_value": "y", "group": mine.pk},
    )

    assert list(GroupClaimMapping.objects.values_list("claim_value", "group")) == [("y", mine.pk)]


def test_demo_sign_in_is_configured_only_in_demo_mode(settings):
    demo = ConnectionFactory(slug="demo", is_demo=True)
    settings.DEMO_MODE = False
    assert configure_demo_sso(demo) is False and not OidcConfig.objects.exists()

    settings.DEMO_MODE = True
    assert configure_demo_sso(demo) is True
    settings.DEMO_MODE = False

    assert OidcConfig.objects.get().issuer == "http://127.0.0.1:8300"
    assert "/sso/demo/" not in Client().get("/login/").content.decode()


def test_stale_metadata_is_used_while_the_idp_discovery_is_down(client, fake_idp, fake_connection):
    start_login(client, "acme")  # caches the metadata
    # A day later, discovery is unreachable (the issuer now points where nothing listens).
    OidcConfig.objects.update(
        metadata_fetched_at=timezone.now() - timedelta(days=2), issuer="http://127.0.0.1:8209"
    )

    response = client.get("/sso/acme/login/")

    assert response.status_code == 302 and response["Location"].startswith(fake_idp.issuer + "/authorize")


def test_a_crafted_idp_error_link_without_our_state_does_not_sign_the_learner_out(
    client, fake_idp, fake_connection
):
    callback(client, fake_idp)

    response = client.get("/sso/acme/callback/", {"error": "access_denied", "state": "forged"})

    assert response.status_code == 403
    assert client.get("/learn/").status_code == 200
    assert not AuditEvent.objects.filter(action="sso.login", context__outcome="refused").exists()
