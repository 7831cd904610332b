"""The admin console in a real Chromium: a signed-in admin on the live server, screenshots saved under
var/screenshots/ for a person to look at."""

from pathlib import Path

import pytest
from django.test import Client

from lms_identity.models import User

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def console(browser_live_server, transactional_db, chromium, settings):
    """A Chromium page signed in to the admin as a superuser, 1366 px wide."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Admins sign in through SSO (tests/lms_identity/sso/test_browser_admin_sso.py drives that); the
    # console's own tests start from a session made on the server for a superuser.
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "pw-lnd")
    signed_in = Client()
    signed_in.force_login(admin)
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = browser_live_server.url
    context.add_cookies(
        [{"name": "sessionid", "value": signed_in.cookies["sessionid"].value, "url": page.base}]
    )
    page.goto(f"{page.base}/admin/")
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
