import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from courses.models import RoleTemplate
from courses.services.overrides import set_override
from lms_identity.models import User
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor
from lms_identity.services.token_cache import tokens as token_cache
from lms_identity.services.tokens import issue_scim_token
from provisioning.scim import request_log_writer
from tests.factories import ConnectionFactory, GroupFactory, MembershipFactory, UserFactory
from tests.parallel import free_port, use_private_redis, xdist_worker
from tests.provisioning.scim.conftest import ScimClient

_private_redis = []


def pytest_configure(config):
    """Under pytest-xdist with REDIS_URL set, each worker gets a Redis of its own (see tests/parallel.py).
    The SCIM request log is written in the request, so a test reads its row at once; the buffered writer
    has tests of its own (tests/provisioning/scim/test_request_log_writer.py). Likewise the committing
    thread seals its audit events, so a test reads them sealed at once; sealing on a worker has tests of
    its own (tests/provisioning/test_audit_seal_nudge.py, test_workers.py)."""
    settings.SCIM_REQUEST_LOG_BUFFER_MS = 0
    settings.AUDIT_SEAL_NOTIFY = ""
    if xdist_worker() and settings.REDIS_URL:
        _private_redis.append(use_private_redis())


def pytest_unconfigure(config):
    for server in _private_redis:
        server.kill()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before any fixture is torn down (a transactional test's database flush among them), the SCIM request
    log's writer, if a test started it, writes what it holds and ends (its thread's connection with it)."""
    request_log_writer.stop()
    yield


@pytest.fixture(autouse=True)
def _forget_scim_tokens():
    """Each test starts with an empty per-process token memory (its rows are rolled back after it)."""
    token_cache.clear()


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
def team(connection):
    """team(name, members=0): a group of the test connection with that many new people in it; returns
    (group, people)."""

    def make(name, members=0):
        group = GroupFactory(connection=connection, display_name=name)
        people = [UserFactory(connection=connection) for _ in range(members)]
        for person in people:
            MembershipFactory(group=group, user=person)
        return group, people

    return make


@pytest.fixture
def scim(scim_token):
    """A SCIM client with the test connection's bearer token."""
    return ScimClient(scim_token)


@pytest.fixture
def system_actor():
    return Actor.system("tests")


@pytest.fixture
def admin_client(client):
    """A client signed in to the Django admin as a superuser."""
    client.force_login(User.objects.create_superuser("lnd-admin", "lnd@example.com", "x"))
    return client


@pytest.fixture
def role_holder():
    """role_holder(slug, **fields): a new person given the role template `slug` (ld-admin, auditor,
    instructor, ...) by a manual override, so their staff flag and permissions come from the role."""

    def make(slug, **fields):
        person = UserFactory(**fields)
        set_override(
            person,
            actor=Actor.system("tests"),
            target_type="role",
            target=RoleTemplate.objects.get(slug=slug),
            effect="allow",
            reason="tests",
        )
        person.refresh_from_db()
        return person

    return make


@pytest.fixture
def api_as(role_holder):
    """api_as(role_slug): an admin API client with a real bearer token (`Authorization: Token <key>`,
    issued by the api_token service) of a new person holding that role (ld-admin, auditor, ...)."""

    def make(slug, **fields):
        person = role_holder(slug, **fields)
        # Staff in the database too, a learner's token included: the roles, not the flag, decide.
        User.objects.filter(pk=person.pk).update(is_staff=True)
        person.is_staff = True
        client = APIClient()
        _, raw = issue_api_token(person, actor=Actor.system("tests"))
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        client.person = person
        return client

    return make


@pytest.fixture
def adopting_connection(connection):
    """The connection, set to adopt existing accounts of no connection (off by default)."""
    connection.adopt_existing_accounts = True
    connection.save(update_fields=["adopt_existing_accounts"])
    return connection


@pytest.fixture(autouse=True)
def dashboard_computed_per_view(settings):
    """The dashboard's kept figures live in a cache that outlives a test (Redis in CI): tests read them
    fresh on every view. tests/provisioning/test_dashboard_snapshot.py switches the keeping back on."""
    settings.DASHBOARD_MAX_AGE_SECONDS = 0


@pytest.fixture(autouse=True)
def no_sso_rate_limit(settings):
    """The SSO rate limits count per address in a cache that outlives a test (Redis in CI); every test
    client is 127.0.0.1. Tests of the limit itself switch it back on."""
    settings.SSO_RATE_LIMIT = 0
    settings.SSO_SIGNAL_RATE_LIMIT = 0


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
