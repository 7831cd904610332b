import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms_identity.models import User


@pytest.fixture
def api():
    """An admin API client with a staff member's token (Authorization: Token <key>)."""
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client
