"""The admin console in a real Chromium: a signed-in admin on the live server, screenshots saved under
var/screenshots/ for a person to look at."""

import importlib
from pathlib import Path

import pytest
from django.test import Client

from courses.models import RoleTemplate
from courses.services.overrides import set_override
from lms_identity.models import User
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import index_session
from tests.factories import UserFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}


def seeded_ld_admin_role():
    """The L&D admin role as the migrations seed it (seeded again: a transactional test empties the tables
    after itself)."""
    capabilities = set(
        importlib.import_module("courses.migrations.0004_admin_capabilities_and_auditor").LD_ADMIN
    )
    capabilities |= set(importlib.import_module("courses.migrations.0007_ld_admin_connections").ADDED)
    role, _ = RoleTemplate.objects.update_or_create(
        slug="ld-admin",
        defaults={"name": "L&D admin", "capabilities": sorted(capabilities), "requires_explicit_rule": True},
    )
    return role


def _signed_in_page(chromium, server, person):
    """A Chromium page 1366 px wide whose session cookie is one made on the server for `person`."""
    signed_in = Client()
    signed_in.force_login(person)
    index_session(person, signed_in.session.session_key)
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server.url
    context.add_cookies(
        [{"name": "sessionid", "value": signed_in.cookies["sessionid"].value, "url": page.base}]
    )
    page.goto(f"{page.base}/admin/")
    return context, page


@pytest.fixture
def browser_admin_settings(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


@pytest.fixture
def console(browser_live_server, transactional_db, chromium, browser_admin_settings):
    """A Chromium page signed in to the admin as a superuser, 1366 px wide."""
    # Admins sign in through SSO (tests/lms_identity/sso/test_browser_admin_sso.py drives that); the
    # console's own tests start from a session made on the server for a superuser.
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "pw-lnd")
    context, page = _signed_in_page(chromium, browser_live_server, admin)
    yield page
    context.close()


@pytest.fixture
def ld_admin_console(browser_live_server, transactional_db, chromium, browser_admin_settings):
    """A Chromium page signed in to the admin as Grace, who holds the L&D admin role (given by an
    override, as the IdP's role mapping would by a rule): her permissions come from the role only."""
    grace = UserFactory(user_name="grace@example.com", display_name="Grace Hopper")
    set_override(
        grace,
        actor=Actor.system("tests"),
        target_type="role",
        target=seeded_ld_admin_role(),
        effect="allow",
        reason="tests",
    )
    grace.refresh_from_db()
    assert grace.is_staff and not grace.is_superuser
    context, page = _signed_in_page(chromium, browser_live_server, grace)
    yield page
    context.close()


def shoot(page, name):
    """Save the whole page (a viewport as tall as the page) and check it fits a 1366 px wide screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": LAPTOP["width"], "height": max(LAPTOP["height"], height)})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(LAPTOP)
    assert width <= LAPTOP["width"], f"{name} is {width} px wide"
