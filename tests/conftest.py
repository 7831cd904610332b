import pytest

from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token
from tests.factories import ConnectionFactory


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


@pytest.fixture(autouse=True)
def no_sso_rate_limit(settings):
    """The SSO rate limits count per address in a cache that outlives a test (Redis in CI); every test
    client is 127.0.0.1. Tests of the limit itself switch it back on."""
    settings.SSO_RATE_LIMIT = 0
    settings.SSO_SIGNAL_RATE_LIMIT = 0
