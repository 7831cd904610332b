"""/admin/login/ offers a button per enabled connection that starts the normal SSO flow back to /admin/."""

import time

import pytest

from lms_identity.sso import session_keys

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


def admin_session(client, person, connection, *, mfa, authenticated_ago=0):
    """The session an SSO sign-in through `connection` leaves, with or without MFA evidence."""
    client.force_login(person)
    session = client.session
    session[session_keys.CONNECTION] = connection.pk
    session[session_keys.MFA] = mfa
    session[session_keys.AUTHENTICATED_AT] = time.time() - authenticated_ago
    session.save()
    return client


def test_a_connection_requiring_mfa_for_admins_refuses_an_admin_session_without_it(
    client, make_oidc_connection, role_holder
):
    connection = make_oidc_connection("acme", "https://acme.okta.test", admin_require_mfa=True)
    admin_session(client, role_holder("ld-admin"), connection, mfa=False)

    response = client.get("/admin/")

    assert response.status_code == 403
    assert "/sso/acme/login/?prompt=login" in response.content.decode()
    assert client.get("/learn/").status_code == 200  # learner pages keep the learner policy


def test_an_admin_session_with_mfa_evidence_opens_the_admin(client, make_oidc_connection, role_holder):
    connection = make_oidc_connection("acme", "https://acme.okta.test", admin_require_mfa=True)
    admin_session(client, role_holder("ld-admin"), connection, mfa=True)

    assert client.get("/admin/").status_code == 200


def test_an_admin_sign_in_older_than_the_admin_max_age_is_sent_to_sign_in_again(
    client, make_oidc_connection, role_holder
):
    connection = make_oidc_connection("acme", "https://acme.okta.test", admin_max_age=900)
    admin_session(client, role_holder("ld-admin"), connection, mfa=True, authenticated_ago=901)

    response = client.get("/admin/courses/course/")

    assert response.status_code == 302
    assert response["Location"].startswith(
        "/sso/acme/login/?prompt=login&next=%2Fadmin%2Fcourses%2Fcourse%2F"
    )


def test_a_recent_admin_sign_in_within_the_admin_max_age_opens_the_admin(
    client, make_oidc_connection, role_holder
):
    connection = make_oidc_connection("acme", "https://acme.okta.test", admin_max_age=900)
    admin_session(client, role_holder("ld-admin"), connection, mfa=True, authenticated_ago=60)

    assert client.get("/admin/courses/course/").status_code == 200
