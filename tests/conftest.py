import pytest

from lms_identity.models import User
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
    client.force_login(User.objects.create_superuser("lnd-admin", "lnd@example.com", "x"))
    return client


@pytest.fixture
def adopting_connection(connection):
    """The connection, set to adopt existing accounts of no connection (off by default)."""
    connection.adopt_existing_accounts = True
    connection.save(update_fields=["adopt_existing_accounts"])
    return connection
