"""/admin/login/ offers a button per enabled connection that starts the normal SSO flow back to /admin/."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_login_page_offers_a_button_per_connection_back_to_the_admin(client, make_oidc_connection):
    make_oidc_connection("acme", "https://acme.okta.test")

    body = client.get("/admin/login/").content.decode()

    assert "Sign in with" in body
    assert "/sso/acme/login/?next=%2Fadmin%2F" in body


def test_a_signed_out_visit_to_the_admin_lands_on_the_sso_login_page(client, make_oidc_connection):
    make_oidc_connection("acme", "https://acme.okta.test")

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert "/sso/acme/login/?next=%2Fadmin%2F" in response.content.decode()
