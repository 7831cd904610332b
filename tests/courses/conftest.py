import pytest
from rest_framework.test import APIClient

from lms_identity.models import User
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor


@pytest.fixture
def api():
    """An admin API client with a staff member's hashed token (Authorization: Token <key>)."""
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(admin, actor=Actor.system('tests'))[1]}")
    return client
