"""The SCIM request log, written at the edge: one row per SCIM request with our answer, bodies redacted.

SCIM_REQUEST_LOG: "off" writes nothing; "errors" (the default) writes the requests we answered with a 4xx or
5xx; "all" writes every request. A row holds method, path, status, scimType, detail, duration, request id
and the redacted request and answer (request_log_rows.py). It is written outside the request's
transaction, so a failed write never changes the answer (it is logged and dropped), and a request whose
own transaction rolled back is logged all the same. With "errors" a request that succeeds costs nothing.

On PostgreSQL the request hands its entry to the process's buffered writer (request_log_writer.py), which
redacts and writes a batch every SCIM_REQUEST_LOG_BUFFER_MS; with 0, and on SQLite (one writer at a
time), the request writes its own row, redacted, in one statement after the answer is ready.
"""

import logging
import re
import uuid
from collections.abc import Callable
from time import perf_counter

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from . import request_log_writer
from .request_log_rows import Entry, insert_rows, make_row

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
    if response.status_code < 400 and mode != "all":
        return
    entry = Entry(
        at=timezone.now(),
        connection_id=getattr(request, CONNECTION_ATTRIBUTE, None),
        request_id=request_id,
        method=request.method or "",
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        status=response.status_code,
        duration_ms=duration_ms,
        body=body,
        answer=_answer(response),
    )
    if settings.SCIM_REQUEST_LOG_BUFFER_MS > 0 and connection.vendor == "postgresql":
        request_log_writer.submit(entry)
        return
    try:
        insert_rows([make_row(entry)])
    except DatabaseError:
        log.warning("SCIM request log: could not record request %s", request_id, exc_info=True)


def _answer(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").endswith("json"):
        return b""
    return bytes(response.content)
