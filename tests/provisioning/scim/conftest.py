import json

import pytest
from django.test import Client

from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token

SCIM_TYPE = "application/scim+json"


class ScimClient:
    """Django's test client speaking SCIM JSON with one connection's bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def _send(self, method: str, path: str, body=None, **headers):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        data = body if isinstance(body, str | bytes) else json.dumps(body) if body is not None else None
        return getattr(self.client, method)(url, data=data, content_type=SCIM_TYPE, **headers)

    def get(self, path, **headers):
        return self.client.get(path if path.startswith("/") else f"/scim/v2/{path}", **headers)

    def post(self, path, body=None, **headers):
        return self._send("post", path, body, **headers)

    def put(self, path, body=None, **headers):
        return self._send("put", path, body, **headers)

    def patch(self, path, body=None, **headers):
        return self._send("patch", path, body, **headers)

    def delete(self, path, **headers):
        return self.client.delete(path if path.startswith("/") else f"/scim/v2/{path}", **headers)


@pytest.fixture
def other_scim(other_connection):
    _, raw = issue_scim_token(other_connection, actor=Actor.system("tests"))
    return ScimClient(raw)


def patch_op(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


@pytest.fixture
def signed_in():
    """Give a person a live Django session the way SSO login does; returns its key."""
    from tests.factories import session_for

    return session_for
