"""The SCIM request log, written at the edge: one row per SCIM request with our answer, bodies redacted.

SCIM_REQUEST_LOG: "off" writes nothing; "errors" (the default) writes the requests we answered with a 4xx or
5xx; "all" writes every request. A row holds method, path, status, scimType, detail, duration, request id
and the redacted request and answer. It is one INSERT after the answer is ready, outside the request's
transaction, so a failed write never changes the answer (it is logged and dropped), and a request whose own
transaction rolled back is logged all the same. With "errors" a request that succeeds costs no query at
all. On PostgreSQL the INSERT is one statement in its own implicit transaction that commits without
waiting for the disk: one round trip, where BEGIN, SET LOCAL, INSERT and COMMIT took four (measured in
docs/BENCHMARKS.md, `make bench evidence`).
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse

from provisioning.models import ScimRequest

from .redaction import redact_body, redact_json, redact_text

SCIM_PREFIX = "/scim/v2/"
CONNECTION_ATTRIBUTE = "scim_connection_id"  # set by ScimView.dispatch once the token is known
REQUEST_ID_HEADER = "X-Request-Id"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MODES = ("off", "errors", "all")

log = logging.getLogger(__name__)


class ScimRequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        mode = settings.SCIM_REQUEST_LOG
        if mode == "off" or not request.path.startswith(SCIM_PREFIX):
            return self.get_response(request)
        request_id = _request_id(request)
        body = request.body if _keeps_request_body(request) else b""
        started = perf_counter()
        response = self.get_response(request)
        duration_ms = (perf_counter() - started) * 1000
        response[REQUEST_ID_HEADER] = request_id
        _write(request, response, request_id=request_id, body=body, duration_ms=duration_ms, mode=mode)
        return response


def _keeps_request_body(request: HttpRequest) -> bool:
    # Read the body before the view does (its stream can be read once); bodies over the SCIM limit are
    # refused by the view and never kept.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return 0 < length <= settings.SCIM_MAX_PAYLOAD_BYTES


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


def _write(
    request: HttpRequest,
    response: HttpResponse,
    *,
    request_id: str,
    body: bytes,
    duration_ms: float,
    mode: str,
) -> None:
    failed = response.status_code >= 400
    if not failed and mode != "all":
        return
    answer = _answer(response)
    row = ScimRequest(
        connection_id=getattr(request, CONNECTION_ATTRIBUTE, None),
        request_id=request_id,
        method=(request.method or "")[:8],
        path=_path(request),
        status=response.status_code,
        scim_type=str(answer.get("scimType", ""))[:32] if failed else "",
        detail=redact_text(str(answer.get("detail", ""))) if failed else "",
        duration_ms=duration_ms,
        request_body=redact_body(body),
        response_body=redact_json(answer) if answer else None,
    )
    try:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            _insert_committing_asynchronously(row)
        else:
            with transaction.atomic():  # a savepoint, should a caller's transaction still be open
                row.save(force_insert=True)
    except DatabaseError:
        log.warning("SCIM request log: could not record request %s", request_id, exc_info=True)


def _insert_committing_asynchronously(row: ScimRequest) -> None:
    """INSERT the row as one autocommitted statement that also turns synchronous_commit off for its own
    transaction (set_config(..., true) lasts until that commit): a troubleshooting row is not worth a disk
    flush in the IdP's request, and a crash may lose the last fraction of a second of the log, never
    more. Values are prepared by the model's fields, as the ORM's own INSERT prepares them."""
    fields = [f for f in ScimRequest._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = (
        f"INSERT INTO {quote(ScimRequest._meta.db_table)} ({columns}) "  # noqa: S608 - the model's own columns
        f"SELECT {', '.join(['%s'] * len(fields))} "
        "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def _answer(response: HttpResponse) -> dict[str, Any]:
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").endswith("json"):
        return {}
    try:
        parsed = json.loads(response.content)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _path(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return (request.path + ("?" + redact_text(query) if query else ""))[:255]
