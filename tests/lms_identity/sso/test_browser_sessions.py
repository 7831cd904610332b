"""End to end, sessions: sign-out at the IdP, back-channel logout, silent re-verification, idle and
absolute lifetimes, through a real oidc-provider, the live server and headless Chromium."""

import time

import pytest

from lms_identity.models import AuditEvent, UserSession

from .conftest import sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "var/screenshots"


def sign_in(site, page, username="ada"):
    page.goto(f"{site.url}/sso/acme/login/")
    sign_in_at_idp(page, username, f"pw-{username}")
    page.wait_for_url(f"{site.url}/learn/")


def causes():
    return list(AuditEvent.objects.filter(action="session.ended").values_list("context__cause", flat=True))


def test_sign_out_ends_the_idp_session_too_so_signing_in_again_asks_for_the_password(site, page):
    site.connect("acme")
    sign_in(site, page)

    page.click("text=Sign out")
    page.click("#logout-yes")  # the IdP's confirmation of RP-initiated logout
    page.wait_for_url(f"{site.url}/sso/acme/signed-out/**")
    page.screenshot(path=f"{SHOTS}/signed-out-at-idp.png")
    signed_out = page.inner_text("main")
    page.goto(f"{site.url}/sso/acme/login/")

    assert "signed out of the learning platform and of Acme" in signed_out
    assert page.locator("#password").count() == 1  # the IdP asks for the password again
    assert not UserSession.objects.exists()
    assert causes() == ["rp_logout"]


def test_a_logout_at_the_idp_ends_the_browsers_session_here_by_back_channel(site, page):
    site.connect("acme")
    sign_in(site, page)
    assert UserSession.objects.get().sid  # the IdP sends sid: backchannel_logout_session_required

    page.goto(f"{site.providers['acme'].issuer}/session/end")  # signed out at the IdP, not by us
    page.click("#logout-yes")
    page.wait_for_selector("#idp-signed-out")
    page.goto(f"{site.url}/learn/")

    assert page.url.startswith(f"{site.url}/login/")
    assert not UserSession.objects.exists()
    assert causes() == ["backchannel_logout"]


def test_login_required_on_silent_re_verification_ends_the_session(site, page):
    site.connect("acme", reverify_interval=2)
    sign_in(site, page)
    page.context.clear_cookies(domain="127.0.0.1")  # drop both sites' cookies ...
    page.context.add_cookies(  # ... then put ours back: only the IdP session is gone
        [{"name": "sessionid", "value": UserSession.objects.get().session_key, "url": site.url}]
    )
    time.sleep(2.5)

    page.goto(f"{site.url}/learn/")

    page.wait_for_selector("#password")  # prompt=none got login_required: sign in interactively
    assert page.url.startswith(site.providers["acme"].issuer)
    assert not UserSession.objects.exists()
    assert causes() == ["reverification_failed"]


def test_a_silent_re_verification_the_idp_accepts_keeps_the_session(site, page):
    site.connect("acme", reverify_interval=2)
    sign_in(site, page)
    signed_in_at = UserSession.objects.get().created_at
    time.sleep(2.5)

    page.goto(f"{site.url}/learn/?after=reverify")

    page.wait_for_url(f"{site.url}/learn/?after=reverify")
    assert "Welcome, Ada" in page.content()
    assert UserSession.objects.get().created_at == signed_in_at
    assert causes() == []


def test_an_idle_session_ends_and_the_browser_goes_to_sign_in(site, page):
    site.connect("acme", idle_timeout=3, reverify_interval=0)
    sign_in(site, page)
    time.sleep(1)
    page.goto(f"{site.url}/learn/")
    assert page.url == f"{site.url}/learn/"
    time.sleep(4)

    page.goto(f"{site.url}/learn/")

    assert page.url.startswith(f"{site.url}/login/")
    assert causes() == ["idle_timeout"]


def test_a_busy_session_still_ends_at_its_absolute_lifetime(site, page):
    site.connect("acme", absolute_lifetime=8, idle_timeout=0, reverify_interval=0)
    started = time.monotonic()  # the session's clock starts inside sign_in: after this, before `signed_in`
    sign_in(site, page)
    signed_in = time.monotonic()
    busy = 0
    while time.monotonic() - started < 5:  # busy well inside the lifetime, however slow the machine
        page.goto(f"{site.url}/learn/")
        assert page.url == f"{site.url}/learn/"
        busy += 1
        time.sleep(0.5)
    assert busy >= 1
    time.sleep(max(0.0, signed_in + 8.5 - time.monotonic()))

    page.goto(f"{site.url}/learn/")

    assert page.url.startswith(f"{site.url}/login/")
    assert causes() == ["absolute_timeout"]


def test_a_learner_ends_one_of_two_sessions_from_my_sessions_and_the_other_stays(site, page, chromium):
    site.connect("acme")
    sign_in(site, page)
    laptop = chromium.new_context(user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
    other = laptop.new_page()
    other.set_default_timeout(15000)
    try:
        sign_in(site, other)
        assert UserSession.objects.count() == 2

        page.goto(f"{site.url}/account/sessions/")
        page.screenshot(path=f"{SHOTS}/my-sessions.png", full_page=True)
        page.click("tr.session:not(.current) button.end-session")
        page.wait_for_selector("text=Signed out that session.")
        other.goto(f"{site.url}/learn/")
        page.goto(f"{site.url}/learn/")

        assert other.url.startswith(f"{site.url}/login/")
        assert page.url == f"{site.url}/learn/"
        assert UserSession.objects.count() == 1
        assert causes() == ["self"]
    finally:
        laptop.close()
