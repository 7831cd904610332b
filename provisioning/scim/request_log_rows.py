"""The SCIM request log's rows: what the edge saw of one request (an entry), the redacted row made from it,
and the one INSERT that writes any number of rows.

An entry holds the raw request body and our raw answer; redaction happens when the row is made, which is
in the background writer's thread when the log is buffered (request_log_writer.py), so the request pays
for neither the parse nor the redaction.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from provisioning.models import ScimRequest

from .redaction import redact_body, redact_json, redact_text


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    connection_id: int | None
    request_id: str
    method: str
    path: str
    query: str  # not yet redacted
    status: int
    duration_ms: float
    body: bytes  # the request's, as sent (empty when over the SCIM limit)
    answer: bytes  # ours, when it is JSON; else empty


def make_row(entry: Entry) -> ScimRequest:
    failed = entry.status >= 400
    answer = _parsed(entry.answer)
    return ScimRequest(
        at=entry.at,
        connection_id=entry.connection_id,
        request_id=entry.request_id,
        method=entry.method[:8],
        path=_path(entry.path, entry.query),
        status=entry.status,
        scim_type=str(answer.get("scimType", ""))[:32] if failed else "",
        detail=redact_text(str(answer.get("detail", ""))) if failed else "",
        duration_ms=entry.duration_ms,
        request_body=redact_body(entry.body),
        response_body=redact_json(answer) if answer else None,
    )


def insert_rows(rows: list[ScimRequest]) -> None:
    """Write the rows in one statement. On PostgreSQL outside a transaction it is an autocommitted INSERT
    that also turns synchronous_commit off for its own transaction (set_config(..., true) lasts until that
    commit): a troubleshooting row is not worth a disk flush, and a crash may lose the last fraction of a
    second of the log, never more. Elsewhere (SQLite, or a caller's transaction still open) a savepoint
    and the ORM's bulk INSERT."""
    if not rows:
        return
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            ScimRequest.objects.bulk_create(rows)
        return
    fields = [f for f in ScimRequest._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Typed placeholders: a VALUES list's untyped parameters would be text, which jsonb refuses.
    one_row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    sql = (
        f"INSERT INTO {quote(ScimRequest._meta.db_table)} ({columns}) "  # noqa: S608 - the model's own columns
        f"SELECT logged.* FROM (VALUES {', '.join([one_row] * len(rows))}) AS logged "
        "CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def _parsed(answer: bytes) -> dict[str, Any]:
    if not answer:
        return {}
    try:
        parsed = json.loads(answer)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _path(path: str, query: str) -> str:
    # The path too: an id position may hold anything a client sent (an email, a NUL the database refuses).
    return (redact_text(path) + ("?" + redact_text(query) if query else ""))[:255]
