"""The SCIM request log: failures (or everything) with our answer, no personal value and no secret kept."""

import logging
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from provisioning.models import ScimRequest
from provisioning.services.request_log import get_connection_health, purge_request_log
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CANARY = "canary7q3x"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def _user(user_name):
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": f"ext-{CANARY}",
        "name": {"givenName": f"Given{CANARY}", "familyName": f"Family{CANARY}"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "password": f"pw-{CANARY}",
        "active": True,
    }


def _everything_kept(row):
    return " ".join(str(getattr(row, f.attname)) for f in ScimRequest._meta.concrete_fields)


def test_a_refused_request_is_logged_with_our_answer_and_no_personal_value_or_secret(
    scim, scim_token, connection, caplog
):
    caplog.set_level(logging.DEBUG)
    UserFactory(connection=connection, user_name=f"{CANARY}@example.com")

    response = scim.post("Users", _user(f"{CANARY}@example.com"), HTTP_X_REQUEST_ID="okta-req-1")

    row = ScimRequest.objects.get()
    assert response.status_code == 409 and response["X-Request-Id"] == "okta-req-1"
    assert (row.connection_id, row.method, row.path, row.status) == (
        connection.pk,
        "POST",
        "/scim/v2/Users",
        409,
    )
    assert row.scim_type == "uniqueness" and row.request_id == "okta-req-1"
    assert row.request_body["name"] == {"givenName": "[redacted]", "familyName": "[redacted]"}
    assert row.request_body["active"] is True and row.request_body["schemas"] == [USER_SCHEMA]
    assert row.response_body["scimType"] == "uniqueness"
    kept = _everything_kept(row)
    assert CANARY not in kept and scim_token not in kept
    assert CANARY not in caplog.text and scim_token not in caplog.text


def test_a_filter_value_in_the_query_string_is_not_kept(scim, settings):
    settings.SCIM_REQUEST_LOG = "all"

    scim.get(f'Users?filter=userName eq "{CANARY}@example.com"')

    row = ScimRequest.objects.get()
    assert row.path == '/scim/v2/Users?filter=userName eq "[redacted]"'


def test_a_patch_keeps_its_operations_and_paths_but_not_its_values(scim, connection):
    person = UserFactory(connection=connection)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": f"Chief {CANARY}"}, {"op": "explode"}],
    }

    response = scim.patch(f"Users/{person.pk}", body)

    row = ScimRequest.objects.get()
    assert response.status_code == 400
    assert row.request_body["Operations"] == [
        {"op": "replace", "path": "title", "value": "[redacted]"},
        {"op": "explode"},
    ]
    assert CANARY not in _everything_kept(row)


def test_a_request_that_succeeds_is_not_logged_by_default(scim):
    response = scim.post("Users", _user("ada@example.com"))

    assert response.status_code == 201
    assert not ScimRequest.objects.exists()


def test_with_all_a_request_that_succeeds_is_logged_redacted(scim, settings):
    settings.SCIM_REQUEST_LOG = "all"

    scim.post("Users", _user(f"{CANARY}@example.com"))

    row = ScimRequest.objects.get()
    assert row.status == 201 and row.response_body["id"]
    assert CANARY not in _everything_kept(row)


def test_with_off_nothing_is_logged(scim, settings):
    settings.SCIM_REQUEST_LOG = "off"

    scim.get("Users/not-there")

    assert not ScimRequest.objects.exists()


def test_a_request_with_a_bad_token_is_logged_without_a_connection(client):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {CANARY}")

    row = ScimRequest.objects.get()
    assert (response.status_code, row.status, row.connection_id) == (401, 401, None)
    assert CANARY not in _everything_kept(row)


def test_connection_health_counts_the_last_day_of_failures(scim, connection, other_scim):
    scim.get("Users/not-there")
    scim.get("Users/not-there-either")
    other_scim.get("Users/not-here")
    ScimRequest.objects.filter(path="/scim/v2/Users/not-there").update(at=timezone.now() - timedelta(days=2))

    health = get_connection_health(connection.pk)

    assert health.errors_24h == 1 and health.requests_24h is None
    assert health.last_error.path == "/scim/v2/Users/not-there-either" and health.last_error.status == 404
    assert health.last_request_at is not None


def test_the_purge_removes_rows_older_than_the_retention_and_keeps_the_rest(scim, settings):
    settings.SCIM_REQUEST_LOG_DAYS = 7
    scim.get("Users/old")
    scim.get("Users/new")
    ScimRequest.objects.filter(path="/scim/v2/Users/old").update(at=timezone.now() - timedelta(days=8))

    deleted = purge_request_log()

    assert deleted == 1
    assert list(ScimRequest.objects.values_list("path", flat=True)) == ["/scim/v2/Users/new"]


def test_the_admin_shows_a_connections_failures_with_the_redacted_request(scim, connection, admin_client):
    scim.post("Users", {"schemas": [USER_SCHEMA], "userName": ""})
    row = ScimRequest.objects.get()

    listing = admin_client.get(
        reverse("admin:provisioning_scimrequest_changelist"),
        {"connection__id__exact": connection.pk, "outcome": "failed"},
    )
    detail = admin_client.get(reverse("admin:provisioning_scimrequest_change", args=[row.pk]))

    assert listing.status_code == 200 and "/scim/v2/Users" in listing.content.decode()
    assert detail.status_code == 200 and "invalidValue" in detail.content.decode()


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_failure_is_logged_in_one_committed_statement_even_though_its_own_transaction_rolled_back(
    scim, connection
):
    UserFactory(connection=connection, user_name="ada@example.com")

    with CaptureQueriesContext(db_connection) as captured:
        response = scim.post("Users", _user("ada@example.com"))

    statements = [q["sql"] for q in captured.captured_queries]
    assert response.status_code == 409
    # The request's last statement is the log's INSERT, alone: no BEGIN, SET LOCAL or COMMIT around it.
    assert statements[-1].startswith('INSERT INTO "provisioning_scimrequest"')
    assert statements[-2] != "BEGIN" and not any("SET LOCAL" in sql for sql in statements)
    assert ScimRequest.objects.get().status == 409
    with db_connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # only the log's own statement committed asynchronously


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_with_all_each_request_outside_a_transaction_writes_its_own_row(scim, settings):
    settings.SCIM_REQUEST_LOG = "all"

    scim.post("Users", _user("ada@example.com"))
    scim.get("Users/not-there")

    rows = list(ScimRequest.objects.order_by("id").values_list("method", "status", "scim_type"))
    assert rows == [("POST", 201, ""), ("GET", 404, "")]
