import os

import pytest

from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token
from tests.factories import ConnectionFactory
from tests.ports import free_port


@pytest.fixture
def connection():
    return ConnectionFactory(slug="okta", name="Okta")


@pytest.fixture
def other_connection():
    return ConnectionFactory(slug="entra", name="Entra ID")


@pytest.fixture
def scim_token(connection):
    _, raw = issue_scim_token(connection, actor=Actor.system("tests"))
    return raw


@pytest.fixture
def system_actor():
    return Actor.system("tests")


@pytest.fixture
def admin_client(client):
    """A client signed in to the Django admin as a superuser."""
    from lms_identity.models import User

    client.force_login(User.objects.create_superuser("lnd-admin", "lnd@example.com", "x"))
    return client


# --- browser tests: a live server and Debian's Chromium ---------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_live_server(django_db_setup, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer(f"127.0.0.1:{free_port()}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's ORM calls are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
