"""Security headers on every HTML response (the browser test checks the pages pass the policy)."""

import pytest

from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNED_OUT_PAGES = ["/login/", "/admin/login/"]
SIGNED_IN_PAGES = ["/learn/", "/admin/", "/admin/dashboard/", "/admin/lms_identity/apitoken/add/"]


def _policy(response):
    return dict(
        (part.split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split("; ") if part
    )


@pytest.mark.parametrize("url", SIGNED_OUT_PAGES + SIGNED_IN_PAGES)
def test_every_html_page_carries_the_security_headers(client, url):
    if url in SIGNED_IN_PAGES:
        client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(url)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in policy["script-src"]
    # Only the admin console widens it, for unfold's Alpine.js (lms_identity/admin_csp.py).
    assert ("'unsafe-eval'" in policy["script-src"]) == url.startswith("/admin/")
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_on_https_outside_debug(client):
    response = client.get("/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_on_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/login/")


def test_the_front_channel_logout_page_may_be_framed_by_the_idp(client):
    ConnectionFactory(slug="okta")

    response = client.get("/sso/okta/logout/")

    assert "Content-Security-Policy" not in response
    assert "X-Frame-Options" not in response
