"""The connection page: the SCIM URLs to copy, tokens issued (shown once, never in a cookie), rotated
with overlap and revoked, the OIDC URLs, a discovery test and health."""

import re

import pytest
from django.test import Client

from lms_identity.models import AuditEvent, ScimToken
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import find_connection_for_token, issue_scim_token
from lms_identity.services.users import create_user

pytestmark = pytest.mark.django_db


def page_url(connection, action=""):
    base = f"/admin/lms_identity/idpconnection/{connection.pk}/"
    return base + (f"{action}/" if action else "change/")


def raw_token_in(html):
    match = re.search(r'id="raw-token">([^<]+)<', html)
    return match.group(1) if match else None


def test_the_page_shows_the_scim_base_url_and_entras_form(admin_client, connection, settings):
    settings.PUBLIC_URL = "https://lms.example.com"

    page = admin_client.get(page_url(connection)).content.decode()

    assert "https://lms.example.com/scim/v2/" in page
    assert "https://lms.example.com/scim/v2/?aadOptscim062020" in page


def test_an_issued_token_is_shown_once_in_the_response_and_works(admin_client, connection):
    response = admin_client.post(page_url(connection, "issue-token"), {"label": "Okta prod"})

    raw = raw_token_in(response.content.decode())
    assert response.status_code == 200 and raw and raw.startswith("scim_")
    assert "no-store" in response["Cache-Control"]
    assert find_connection_for_token(raw) == connection
    assert ScimToken.objects.get(connection=connection).label == "Okta prod"
    assert raw not in admin_client.get(page_url(connection)).content.decode()


def test_a_new_token_is_in_no_set_cookie_header(admin_client, connection):
    response = admin_client.post(page_url(connection, "issue-token"), {"label": "Okta prod"})

    raw = raw_token_in(response.content.decode())
    set_cookies = [morsel.OutputString() for morsel in response.cookies.values()]
    assert raw and all(raw not in header for header in set_cookies)
    assert all(raw not in morsel.value for morsel in admin_client.cookies.values())
    assert raw not in admin_client.get("/admin/").content.decode()


def test_issuing_a_token_needs_a_post(admin_client, connection):
    response = admin_client.get(page_url(connection, "issue-token"))

    assert response.status_code == 405 and not ScimToken.objects.exists()


def test_rotating_issues_a_successor_and_keeps_the_old_token_working_for_the_overlap(
    admin_client, connection
):
    old, old_raw = issue_scim_token(connection, actor=Actor.system("tests"))

    response = admin_client.post(page_url(connection, "rotate-token"), {"token": old.pk})

    new_raw = raw_token_in(response.content.decode())
    old.refresh_from_db()
    assert find_connection_for_token(new_raw) == connection
    assert find_connection_for_token(old_raw) == connection
    assert f"{old.hint}…</code> keeps working until {old.expires_at:%Y-%m-%d %H:%M} UTC" in (
        response.content.decode()
    )
    page = admin_client.get(page_url(connection)).content.decode()
    assert f"rotated: works until {old.expires_at:%Y-%m-%d %H:%M} UTC" in page


def test_rotating_a_token_twice_is_refused_with_a_message(admin_client, connection):
    old, _ = issue_scim_token(connection, actor=Actor.system("tests"))
    admin_client.post(page_url(connection, "rotate-token"), {"token": old.pk})

    response = admin_client.post(page_url(connection, "rotate-token"), {"token": old.pk}, follow=True)

    assert "was not rotated: this token was already rotated" in response.content.decode()
    assert ScimToken.objects.filter(connection=connection).count() == 2


def test_revoking_stops_the_token_and_is_audited(admin_client, connection):
    token, raw = issue_scim_token(connection, actor=Actor.system("tests"))

    response = admin_client.post(page_url(connection, "revoke-token"), {"token": token.pk}, follow=True)

    assert "revoked" in response.content.decode()
    assert find_connection_for_token(raw) is None
    assert AuditEvent.objects.filter(action="scim_token.revoked").count() == 1


def test_a_token_of_another_connection_cannot_be_revoked_from_this_page(
    admin_client, connection, other_connection
):
    theirs, raw = issue_scim_token(other_connection, actor=Actor.system("tests"))

    response = admin_client.post(page_url(connection, "revoke-token"), {"token": theirs.pk})

    assert response.status_code == 404
    assert find_connection_for_token(raw) == other_connection


def test_health_shows_the_last_request_and_the_changes_over_scim(admin_client, connection):
    _, raw = issue_scim_token(connection, actor=Actor.system("tests"))
    find_connection_for_token(raw)  # the IdP calls us
    create_user(
        connection=connection, actor=Actor.of_connection(connection), attrs={"user_name": "ada@x.test"}
    )

    page = admin_client.get(page_url(connection)).content.decode()

    assert re.search(r'id="last-scim-request">0.minutes ago', page)
    assert re.search(r'id="scim-changes-24h">[1-9]', page)


def test_a_connection_without_oidc_says_so_and_discovery_test_explains(admin_client, connection):
    page = admin_client.get(page_url(connection)).content.decode()
    response = admin_client.post(page_url(connection, "test-discovery"), follow=True)

    assert "No OpenID Connect sign-in for this connection" in page
    assert "has no OpenID Connect settings" in response.content.decode()


def test_switching_a_connection_off_goes_through_the_service_and_is_audited(admin_client, connection):
    response = admin_client.post(page_url(connection), {"name": "Okta EU"})

    connection.refresh_from_db()
    assert response.status_code == 302
    assert connection.name == "Okta EU" and not connection.enabled
    event = AuditEvent.objects.get(action="connection.updated")
    assert event.changes == {"name": ["Okta", "Okta EU"], "enabled": [True, False]}


def test_a_connection_cannot_be_deleted_from_the_admin(admin_client, connection):
    response = admin_client.post(
        f"/admin/lms_identity/idpconnection/{connection.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403


def test_health_shows_the_failed_scim_requests_with_their_scim_type(admin_client, connection, scim_token):
    idp = Client(HTTP_AUTHORIZATION=f"Bearer {scim_token}")
    idp.post("/scim/v2/Users", data="{}", content_type="application/scim+json")  # no userName: 400

    page = admin_client.get(page_url(connection)).content.decode()

    assert re.search(r'id="scim-errors-24h"><a [^>]+>1<', page)
    assert "invalidValue" in page or "invalidSyntax" in page
