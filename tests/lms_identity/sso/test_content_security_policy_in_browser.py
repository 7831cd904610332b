"""Chromium loads the admin's and the learner's pages under our Content-Security-Policy and reports no
violation: neither in the console nor as a `securitypolicyviolation` event. (Here beside the SSO browser
tests to share their live server and Chromium; no OpenID provider is needed.)"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import Course
from lms_identity.models import BreakGlassAccount, BreakGlassRequest, User
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${where}`);
});
"""


@pytest.fixture
def live(sso_live_server, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return sso_live_server.url


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()


def _signed_in_as(page, live, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live}])


def _visit(page, url, shot):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"csp-{shot}.png"), full_page=True)
    assert response.status == 200, url
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    violations = page.evaluate("window.__cspViolations")
    console = [text for text in page.console_errors if "Content Security Policy" in text]
    return violations + console


def test_the_admin_pages_pass_the_policy(live, browser_page):
    admin = User.objects.create_superuser("csp-admin", "csp-admin@example.com", "right-password")
    _open_break_glass_window(admin)
    course = Course.objects.create(slug="python", title="Python", published=True)

    browser_page.goto(f"{live}/admin/login/")
    found = _visit(browser_page, f"{live}/admin/login/", "admin-login")
    browser_page.click("summary")
    browser_page.fill("#id_username", "csp-admin")
    browser_page.fill("#id_password", "right-password")
    browser_page.click("form [type=submit]")
    browser_page.wait_for_url(f"{live}/admin/")
    for path, shot in [
        ("/admin/", "admin-index"),
        ("/admin/lms_identity/user/", "admin-users"),
        (f"/admin/lms_identity/user/{admin.pk}/change/", "admin-user-change"),
        (f"/admin/courses/course/{course.pk}/change/", "admin-course-change"),
        ("/admin/courses/entitlementrule/add/", "admin-rule-add"),
        ("/admin/lms_identity/apitoken/add/", "admin-token-add"),
        ("/admin/dashboard/", "admin-dashboard"),
        ("/api/docs/", "api-docs"),
    ]:
        found += _visit(browser_page, f"{live}{path}", shot)
    found += _issue_a_token(browser_page, live, admin)

    assert found == []


def _open_break_glass_window(user):
    """The password form signs in only the break-glass account, inside an approved window."""
    BreakGlassAccount.objects.create(user=user)
    now = timezone.now()
    window_ends_at = now + timedelta(hours=1)
    BreakGlassRequest.objects.create(
        reason="tests", minutes=60, requested_by=user, approved_at=now, window_ends_at=window_ends_at
    )


def _issue_a_token(page, live, holder):
    """Issue an API token in the admin; its key is on the page that answers, under the same policy."""
    _visit(page, f"{live}/admin/lms_identity/apitoken/add/", "admin-token-add")
    page.evaluate(
        "(pk) => { const select = document.querySelector('#id_user');"
        " select.add(new Option('holder', pk, true, true)); }",
        str(holder.pk),
    )
    page.fill("#id_label", "browser test")
    page.click("[name=_save]")
    page.wait_for_selector("#issued-api-token")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "csp-admin-token-issued.png"), full_page=True)
    assert page.input_value("#issued-api-token").startswith("lms_")
    return page.evaluate("window.__cspViolations") + [
        text for text in page.console_errors if "Content Security Policy" in text
    ]


def test_the_learner_pages_pass_the_policy(live, browser_page):
    learner = UserFactory()

    found = _visit(browser_page, f"{live}/login/", "learner-login")
    _signed_in_as(browser_page, live, learner)
    found += _visit(browser_page, f"{live}/learn/", "learner-my-learning")

    assert found == []


def test_an_inline_script_would_be_reported(live, browser_page):
    # The watch itself works: a script the policy forbids is caught.
    _visit(browser_page, f"{live}/login/", "learner-login-probe")

    browser_page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__injected = 1;';"
        " document.body.appendChild(s); }"
    )

    browser_page.wait_for_function("window.__cspViolations.length === 1")
    assert browser_page.evaluate("window.__injected === undefined")
