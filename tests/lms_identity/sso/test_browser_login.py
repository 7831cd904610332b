"""End to end: a real oidc-provider on loopback, a Django live server, and a headless Chromium."""

import pytest

from lms_identity.models import (
    AuditEvent,
    Group,
    GroupClaimMapping,
    LoginRecord,
    SubjectLink,
    User,
    UserSession,
)
from lms_identity.models.groups import GroupSource
from lms_identity.services.audit import Actor
from lms_identity.services.users import create_user, deactivate_user

from .conftest import sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_signs_in_from_our_login_page_and_lands_on_my_learning(site, page):
    connection = site.connect("acme")
    engineering = Group.objects.create(connection=connection, display_name="Engineering", source="scim")
    GroupClaimMapping.objects.create(connection=connection, claim_value="Engineering", group=engineering)

    page.goto(f"{site.url}/login/")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/learn/")
    assert "Welcome, Ada" in page.content()
    ada = User.objects.get(email="ada@acme.test")
    assert (ada.source, ada.connection_id, ada.family_name) == ("jit", connection.pk, "Lovelace")
    assert SubjectLink.objects.get(connection=connection, sub="acme-ada").user == ada
    assert list(ada.memberships.values_list("group__display_name", "source")) == [
        ("Engineering", GroupSource.CLAIMS)
    ]
    session = UserSession.objects.get(user=ada)
    assert (session.connection_id, session.mfa_evidenced) == (connection.pk, True)
    assert LoginRecord.objects.get(user=ada).mfa_evidenced is True
    assert AuditEvent.objects.filter(
        action="sso.login", context__outcome="success", target_id=str(ada.pk)
    ).exists()


def refusal_on(page):
    return page.inner_text("#reason"), page.inner_text("#detail") if page.locator("#detail").count() else ""


def test_learner_signs_in_from_the_idp_app_tile_and_lands_on_the_target_link(site, page):
    site.connect("acme")

    page.goto(f"{site.providers['acme'].issuer}/apps")
    page.click("#tile")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/learn/?from=tile")
    assert "Welcome, Ada" in page.content()
    assert UserSession.objects.filter(user__email="ada@acme.test").count() == 1


def test_work_email_finds_the_connection_and_prefills_the_idp_login(site, page):
    site.connect("acme", allowed_domains="acme.test")
    site.connect("globex", allowed_domains="globex.test")

    page.goto(f"{site.url}/login/")
    page.fill("#email", "zoe@globex.test")
    page.click("#continue")

    page.wait_for_url(f"{site.providers['globex'].issuer}/**")
    assert page.input_value("#username") == "zoe"


def test_two_connections_side_by_side_sign_in_their_own_people(site, page):
    acme, globex = site.connect("acme"), site.connect("globex")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "ada", "pw-ada")
    page.wait_for_url(f"{site.url}/learn/")
    page.click("text=Sign out")
    page.click("#logout-yes")  # RP-initiated logout at Acme's IdP
    page.wait_for_url(f"{site.url}/sso/acme/signed-out/**")
    page.goto(f"{site.url}/login/")
    page.click("text=Sign in with Globex")
    sign_in_at_idp(page, "zoe", "pw-zoe")
    page.wait_for_url(f"{site.url}/learn/")

    assert "Welcome, Zoe" in page.content()
    assert User.objects.get(email="ada@acme.test").connection == acme
    assert User.objects.get(email="zoe@globex.test").connection == globex
    assert list(UserSession.objects.values_list("user__email", "connection__slug")) == [
        ("zoe@globex.test", "globex")
    ]


def test_jit_off_refuses_a_person_nobody_provisioned(site, page):
    site.connect("acme", jit_policy="off")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/sso/acme/callback/**")
    assert "You do not have an account here yet" in refusal_on(page)[0]
    assert page.get_attribute("#retry", "href") == "/sso/acme/login/?prompt=login"
    assert not User.objects.filter(email="ada@acme.test").exists()
    assert not UserSession.objects.exists()
    assert AuditEvent.objects.filter(action="sso.login", context__reason="jit_not_allowed").count() == 1


def test_first_login_adopts_the_scim_provisioned_person_and_scim_attributes_win(site, page):
    acme = site.connect("acme", jit_policy="off")
    bob, _ = create_user(
        connection=acme,
        actor=Actor.of_connection(acme),
        source="scim",
        attrs={
            "user_name": "bob.byrne",
            "email": "bob@acme.test",
            "external_id": "acme-bob",
            "family_name": "Byrne-SCIM",
        },
    )

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "bob", "pw-bob")

    page.wait_for_url(f"{site.url}/learn/")
    assert User.objects.count() == 1
    assert SubjectLink.objects.get(connection=acme, sub="acme-bob").user == bob
    bob.refresh_from_db()
    assert bob.family_name == "Byrne-SCIM"
    assert UserSession.objects.get().user == bob


def test_jit_restricted_creates_people_of_allowed_domains_only(site, page):
    site.connect("acme", jit_policy="restricted", allowed_domains="acme.test")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "eve", "pw-eve")
    page.wait_for_url(f"{site.url}/sso/acme/callback/**")
    refused = refusal_on(page)
    page.click("#retry")
    sign_in_at_idp(page, "ada", "pw-ada")
    page.wait_for_url(f"{site.url}/learn/")

    assert "email domain is not allowed" in refused[1]
    assert list(User.objects.values_list("email", "source")) == [("ada@acme.test", "jit")]


def test_mfa_required_by_amr_lets_in_the_person_who_used_mfa(site, page):
    site.connect("acme", mfa_policy="require_amr", mfa_amr_values="mfa,hwk")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/learn/")
    assert UserSession.objects.get().mfa_evidenced is True


def test_mfa_required_by_amr_refuses_a_password_only_login(site, page):
    site.connect("acme", mfa_policy="require_amr", mfa_amr_values="mfa,hwk")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "bob", "pw-bob")

    page.wait_for_url(f"{site.url}/sso/acme/callback/**")
    assert "requires multi-factor authentication" in refusal_on(page)[0]
    assert not User.objects.exists() and not UserSession.objects.exists()
    assert AuditEvent.objects.filter(action="sso.login", context__reason="mfa_missing").exists()


def test_mfa_required_by_acr_sends_acr_values_and_accepts_the_matching_acr(site, page):
    site.connect("acme", mfa_policy="require_acr", mfa_acr_values="urn:lms:acr:mfa")

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/learn/")
    assert LoginRecord.objects.get().acr == "urn:lms:acr:mfa"


def test_a_deactivated_person_is_refused_even_when_the_idp_lets_them_through(site, page):
    acme = site.connect("acme")
    bob, _ = create_user(
        connection=acme,
        actor=Actor.of_connection(acme),
        source="scim",
        attrs={"user_name": "bob@acme.test", "email": "bob@acme.test", "external_id": "acme-bob"},
    )
    deactivate_user(bob, actor=Actor.of_connection(acme))

    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "bob", "pw-bob")

    page.wait_for_url(f"{site.url}/sso/acme/callback/**")
    assert "Your account is deactivated" in refusal_on(page)[0]
    assert User.objects.count() == 1 and not UserSession.objects.exists()
    refused = AuditEvent.objects.get(action="sso.login")
    assert (refused.context["reason"], refused.target_id) == ("user_inactive", str(bob.pk))
    page.goto(f"{site.url}/learn/")
    assert page.url.startswith(f"{site.url}/login/")


def test_a_session_stops_on_the_next_request_once_the_person_is_inactive(site, page):
    site.connect("acme")
    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, "ada", "pw-ada")
    page.wait_for_url(f"{site.url}/learn/")

    # Inactive without the service (which would also delete the sessions): get_user alone must refuse.
    User.objects.filter(email="ada@acme.test").update(is_active=False)
    page.goto(f"{site.url}/learn/")

    assert page.url.startswith(f"{site.url}/login/")
