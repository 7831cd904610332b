import pytest

from lms_identity.services.audit import Actor
from lms_identity.services.token_cache import tokens as token_cache
from lms_identity.services.tokens import issue_scim_token
from tests.factories import ConnectionFactory


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
def system_actor():
    return Actor.system("tests")


@pytest.fixture
def admin_client(client):
    """A client signed in to the Django admin as a superuser."""
    from lms_identity.models import User

    client.force_login(User.objects.create_superuser("lnd-admin", "lnd@example.com", "x"))
    return client
