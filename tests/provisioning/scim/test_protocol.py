"""Authentication, discovery, protocol errors and limits."""

import json

import psycopg
import pytest
from django.db import OperationalError

from lms_identity.models import User
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import revoke_scim_token
from tests.provisioning.scim.conftest import ScimClient, patch_op

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer scim_wrong", "Basic dXNlcjpwYXNz", "scim_no_scheme", "Bearer " + "x" * 500],
)
def test_missing_or_wrong_token_is_401_with_challenge_and_no_detail(client, scim_token, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/scim/v2/Users", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert response.json() == {"schemas": [ERROR], "status": "401"}


def test_revoked_token_is_401(connection):
    from lms_identity.services.tokens import issue_scim_token

    token, raw = issue_scim_token(connection, actor=Actor.system("tests"))
    revoke_scim_token(token, actor=Actor.system("tests"))

    assert ScimClient(raw).get("Users").status_code == 401


def test_token_of_a_disabled_connection_is_401(scim, connection):
    connection.enabled = False
    connection.save()

    assert scim.get("Users").status_code == 401


def test_service_provider_config_advertises_what_we_do(scim, settings):
    body = scim.get("ServiceProviderConfig").json()

    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": settings.SCIM_MAX_RESULTS}
    assert body["etag"] == {"supported": True}
    assert body["sort"] == {"supported": False}
    assert body["changePassword"] == {"supported": False}
    assert body["bulk"]["supported"] is False
    assert body["bulk"]["maxPayloadSize"] == settings.SCIM_MAX_PAYLOAD_BYTES
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas(scim):
    types = scim.get("ResourceTypes").json()
    user_type = scim.get("ResourceTypes/User").json()
    schemas = scim.get("Schemas").json()
    user_schema = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()

    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    assert [e["schema"] for e in user_type["schemaExtensions"]] == [
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:lms:2.0:User",
    ]
    assert schemas["totalResults"] == 4
    assert [a["name"] for a in user_schema["attributes"]] == [
        "userName", "name", "displayName", "nickName", "title", "userType", "preferredLanguage",
        "locale", "timezone", "active", "emails",
    ]  # fmt: skip
    assert scim.get("Schemas/urn:example:nope").status_code == 404
    assert scim.get("ResourceTypes/Printer").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "ServiceProviderConfig"),
        ("post", "Schemas"),
        ("put", "ResourceTypes/User"),
        ("delete", "Users"),
        ("put", "Groups"),
        ("post", "Users/7d3c1a4e-0000-4000-8000-000000000000"),
        ("get", "Users/.search"),
    ],
)
def test_other_methods_are_405_in_scim_format(scim, method, path):
    response = getattr(scim, method)(path)

    assert response.status_code == 405
    assert response.json()["schemas"] == [ERROR] and response.json()["status"] == "405"
    assert response["Allow"]


@pytest.mark.parametrize("path", ["Printers", "Me", "Bulk", "Users/a/b", "users"])
def test_unknown_urls_are_404_in_scim_format(scim, path):
    response = scim.get(path)

    assert response.status_code == 404
    assert response.json() == {"schemas": [ERROR], "status": "404", "detail": "No such endpoint"}


def test_body_over_the_advertised_size_is_413(scim, settings):
    settings.SCIM_MAX_PAYLOAD_BYTES = 100

    response = scim.post("Users", {"userName": "a@example.com", "title": "x" * 200})

    assert response.status_code == 413
    assert response.json()["status"] == "413"
    assert User.objects.count() == 0


@pytest.mark.parametrize("body", ["{not json", "[]", '"a string"', "\xff\xfe"])
def test_malformed_bodies_are_400_invalid_syntax(scim, body):
    response = scim.post("Users", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_database_overload_is_429_with_retry_after_and_no_database_text(scim, monkeypatch):
    created = scim.post("Users", {"userName": "ann@example.com"}).json()

    def overloaded(*args, **kwargs):
        # What Django raises for PostgreSQL's lock_timeout: its OperationalError over psycopg's 55P03.
        cause = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
        raise OperationalError(
            "canceling statement due to lock timeout on relation lms_identity_user"
        ) from cause

    monkeypatch.setattr("lms_identity.services.users.update_user", overloaded)

    response = scim.patch(
        f"Users/{created['id']}", patch_op({"op": "replace", "path": "title", "value": "x"})
    )

    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    assert "lock" not in json.dumps(response.json()) and "lms_identity" not in json.dumps(response.json())


def test_error_status_is_a_string(scim):
    body = scim.get("Users/unknown").json()

    assert body["status"] == "404"


def test_entra_feature_flag_in_the_tenant_url_is_accepted(scim):
    # Entra appends ?aadOptscim062020 to the tenant URL to get its RFC-compliant PATCH behaviour.
    created = scim.post("Users?aadOptscim062020", {"userName": "ann@example.com"})

    listed = scim.get('Users?aadOptscim062020&filter=userName eq "ann@example.com"')

    assert created.status_code == 201
    assert listed.json()["totalResults"] == 1
