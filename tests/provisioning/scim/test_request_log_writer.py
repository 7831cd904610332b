"""The SCIM request log's buffered writer (PostgreSQL): requests hand their entries to a thread that
writes them in batches, redacted, and a stopping process writes what it holds."""

import logging
import time

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning.models import ScimRequest
from provisioning.scim import request_log_writer
from provisioning.scim.request_log_rows import Entry
from tests.provisioning.scim.test_request_log import CANARY, _everything_kept, _user

pytestmark = [
    pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the log is buffered on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def buffered(settings):
    settings.SCIM_REQUEST_LOG = "all"
    settings.SCIM_REQUEST_LOG_BUFFER_MS = 200
    yield settings
    request_log_writer.stop()


def _rows_within(count, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ScimRequest.objects.count() >= count:
            break
        time.sleep(0.05)
    return list(ScimRequest.objects.order_by("at", "id"))


def _entry(connection_id, path="/scim/v2/Users/x"):
    return Entry(
        at=timezone.now(),
        connection_id=connection_id,
        request_id="r",
        method="GET",
        path=path,
        query="",
        status=404,
        duration_ms=1.0,
        body=b"",
        answer=b'{"status": "404"}',
    )


def test_a_request_does_not_write_its_row_and_the_writer_writes_a_burst_in_one_statement(buffered, scim):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000  # the whole burst waits for one batch, however slow CI is
    with CaptureQueriesContext(db_connection) as captured:
        for n in range(5):
            scim.post("Users", {**_user(f"p{n}@example.com"), "externalId": f"ext-{n}"})
        scim.get("Users/not-there")
    answered = timezone.now()

    assert not any("provisioning_scimrequest" in q["sql"] for q in captured.captured_queries)
    assert not ScimRequest.objects.exists()
    request_log_writer.stop()
    rows = _rows_within(6)
    assert [(row.method, row.status) for row in rows] == [("POST", 201)] * 5 + [("GET", 404)]
    assert all(row.at <= answered for row in rows)  # when answered, not when written
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT xmin::text) FROM provisioning_scimrequest")
        assert cursor.fetchone()[0] == 1  # one INSERT wrote the whole burst


def test_the_writer_redacts_and_logs_no_personal_value_or_secret(buffered, scim, scim_token, caplog):
    caplog.set_level(logging.DEBUG)

    scim.post("Users", _user(f"{CANARY}@example.com"))
    scim.post("Users", _user(f"{CANARY}@example.com"))  # 409, the answer echoes nothing either

    rows = _rows_within(2)
    assert [row.status for row in rows] == [201, 409] and rows[1].scim_type == "uniqueness"
    assert rows[0].request_body["name"] == {"givenName": "[redacted]", "familyName": "[redacted]"}
    for row in rows:
        assert CANARY not in _everything_kept(row) and scim_token not in _everything_kept(row)
    assert CANARY not in caplog.text and scim_token not in caplog.text


def test_a_stopping_process_writes_what_it_holds(buffered, scim):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000  # the thread would wait a minute

    scim.get("Users/one")
    scim.get("Users/two")
    assert not ScimRequest.objects.exists()

    request_log_writer.stop()

    assert sorted(ScimRequest.objects.values_list("path", flat=True)) == [
        "/scim/v2/Users/one",
        "/scim/v2/Users/two",
    ]


def test_a_row_the_database_refuses_costs_only_itself(buffered, connection, caplog):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000
    request_log_writer.submit(_entry(connection.pk, "/scim/v2/Users/kept"))
    request_log_writer.submit(_entry(connection.pk + 1000, "/scim/v2/Users/of-a-deleted-connection"))

    request_log_writer.stop()

    assert list(ScimRequest.objects.values_list("path", flat=True)) == ["/scim/v2/Users/kept"]
    assert "1 of 2 requests refused" in caplog.text


def test_a_full_buffer_drops_new_entries_and_says_how_many(buffered, connection, monkeypatch, caplog):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000
    monkeypatch.setattr(request_log_writer, "MAX_PENDING", 2)
    for n in range(5):
        request_log_writer.submit(_entry(connection.pk, f"/scim/v2/Users/{n}"))

    request_log_writer.stop()

    assert ScimRequest.objects.count() == 2
    assert "3 requests not recorded, the buffer was full" in caplog.text


def test_the_buffer_is_bounded_in_bytes_too(buffered, connection, monkeypatch, caplog):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000
    monkeypatch.setattr(request_log_writer, "MAX_PENDING_BYTES", 100)
    for n in range(6):  # each entry holds a 17-byte answer: five fit in 100 bytes, the sixth does not
        request_log_writer.submit(_entry(connection.pk, f"/scim/v2/Users/{n}"))

    request_log_writer.stop()

    assert ScimRequest.objects.count() == 5
    assert "1 requests not recorded, the buffer was full" in caplog.text


def test_a_path_the_database_could_not_store_is_kept_cleaned_and_its_batch_written(buffered, connection):
    buffered.SCIM_REQUEST_LOG_BUFFER_MS = 60_000
    request_log_writer.submit(_entry(connection.pk, "/scim/v2/Users/a\x00b"))
    request_log_writer.submit(_entry(connection.pk, "/scim/v2/Users/ann@corp.example"))
    request_log_writer.submit(_entry(connection.pk, "/scim/v2/Users/kept"))

    request_log_writer.stop()

    paths = list(ScimRequest.objects.order_by("id").values_list("path", flat=True))
    assert paths[0] == "/scim/v2/Users/a?b" and "ann@corp.example" not in paths[1]
    assert paths[2] == "/scim/v2/Users/kept"
