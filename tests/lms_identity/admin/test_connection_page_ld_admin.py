"""The connection page as an L&D admin (role from the IdP's role mapping, not a hand flag): they read the
SCIM URLs, health and OIDC URLs and look after SCIM tokens, but change neither the connection nor its
sign-in settings (whose form holds the client secret)."""

import re

import pytest
from django.test import Client

from lms_identity.models import AuditEvent, ScimToken
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import index_session
from lms_identity.services.tokens import find_connection_for_token, issue_scim_token

pytestmark = pytest.mark.django_db


def page_url(connection, action=""):
    base = f"/admin/lms_identity/idpconnection/{connection.pk}/"
    return base + (f"{action}/" if action else "change/")


@pytest.fixture
def ld_admin(role_holder):
    person = role_holder("ld-admin")
    client = Client()
    client.force_login(person)
    index_session(person, client.session.session_key)
    client.person = person
    return client


def test_an_ld_admin_reads_the_connection_page(ld_admin, connection, settings):
    settings.PUBLIC_URL = "https://lms.example.com"

    response = ld_admin.get(page_url(connection))

    page = response.content.decode()
    assert response.status_code == 200
    assert "https://lms.example.com/scim/v2/" in page
    assert 'id="connection-health"' in page
    assert 'id="issue-token"' in page
    assert ld_admin.get("/admin/provisioning/scimrequest/").status_code == 200  # the health's failures


def test_an_ld_admin_issues_rotates_and_revokes_scim_tokens(ld_admin, connection):
    issued = ld_admin.post(page_url(connection, "issue-token"), {"label": "Okta prod"})
    raw = re.search(r'id="raw-token">([^<]+)<', issued.content.decode()).group(1)
    token = ScimToken.objects.get(connection=connection)

    rotated = ld_admin.post(page_url(connection, "rotate-token"), {"token": token.pk})
    revoked = ld_admin.post(page_url(connection, "revoke-token"), {"token": token.pk})

    assert issued.status_code == 200 and rotated.status_code == 200 and revoked.status_code == 302
    assert find_connection_for_token(raw) is None
    assert ScimToken.objects.filter(connection=connection, revoked_at__isnull=True).count() == 1


def test_an_ld_admin_cannot_change_the_connection_or_its_sign_in_settings(ld_admin, connection):
    name = connection.name

    changed = ld_admin.post(page_url(connection), {"name": "Renamed", "enabled": "on"})
    page = ld_admin.get(page_url(connection)).content.decode()

    connection.refresh_from_db()
    assert changed.status_code == 403 and connection.name == name
    assert ld_admin.get("/admin/lms_identity/oidcconfig/").status_code == 403
    assert ld_admin.get("/admin/lms_identity/oidcconfig/add/").status_code == 403
    assert ld_admin.post(page_url(connection, "test-discovery")).status_code == 403
    assert "Edit sign-in settings" not in page and "Set it up" not in page


def test_a_person_with_only_the_learner_role_cannot_issue_a_token(role_holder, connection):
    person = role_holder("learner")
    client = Client()
    client.force_login(person)

    response = client.post(page_url(connection, "issue-token"), {"label": "x"})

    assert response.status_code in (302, 403)
    assert not ScimToken.objects.filter(connection=connection).exists()


def test_a_token_issued_by_an_ld_admin_names_them_in_the_audit_trail(ld_admin, connection):
    ld_admin.post(page_url(connection, "issue-token"), {"label": "Okta prod"})

    event = AuditEvent.objects.get(action="scim_token.issued")
    assert event.actor_type == "admin" and event.actor_id == str(ld_admin.person.pk)


def test_revoking_still_works_for_a_superuser(admin_client, connection):
    token, raw = issue_scim_token(connection, actor=Actor.system("tests"))

    admin_client.post(page_url(connection, "revoke-token"), {"token": token.pk})

    assert find_connection_for_token(raw) is None
