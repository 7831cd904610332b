"""Every SCIM answer, data, error or discovery, carries Cache-Control: no-store (RFC 7644 §7)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(scim):
    return scim.post("Users", {"userName": "ann@example.com"})


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "Users", None),
        ("get", "Users?filter=userName%20eq%20%22ann@example.com%22", None),
        ("get", "Groups", None),
        ("post", "Users/.search", {"filter": "userName pr"}),
        ("get", "ServiceProviderConfig", None),
        ("get", "ResourceTypes", None),
        ("get", "Schemas", None),
        ("get", "Users/not-a-uuid", None),  # 404
        ("get", "Users?filter=nonsense", None),  # 400
        ("get", "Me", None),  # the catch-all 404
        ("delete", "Users", None),  # 405
        ("post", "Users", {"userName": "ann@example.com"}),  # 409
    ],
)
def test_every_scim_answer_is_no_store(scim, ann, method, path, body):
    response = getattr(scim, method)(path, body) if body is not None else getattr(scim, method)(path)

    assert response["Cache-Control"] == "no-store"


def test_created_and_read_users_are_no_store(scim, ann):
    assert ann["Cache-Control"] == "no-store"
    assert scim.get(f"Users/{ann.json()['id']}")["Cache-Control"] == "no-store"


def test_an_unauthenticated_answer_is_no_store(db):
    response = Client().get("/scim/v2/Users")

    assert (response.status_code, response["Cache-Control"]) == (401, "no-store")
