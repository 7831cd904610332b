import pytest
from django.conf import settings

from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token
from tests.factories import ConnectionFactory, GroupFactory, MembershipFactory, UserFactory
from tests.parallel import use_private_redis, xdist_worker
from tests.provisioning.scim.conftest import ScimClient

_private_redis = []


def pytest_configure(config):
    """Under pytest-xdist with REDIS_URL set, each worker gets a Redis of its own (see tests/parallel.py)."""
    if xdist_worker() and settings.REDIS_URL:
        _private_redis.append(use_private_redis())


def pytest_unconfigure(config):
    for server in _private_redis:
        server.kill()


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
    from lms_identity.models import User

    client.force_login(User.objects.create_superuser("lnd-admin", "lnd@example.com", "x"))
    return client
