"""What every SCIM endpoint does before and after its own work: size limit, bearer token, JSON,
ETags, and turning every refusal into a SCIM Error body."""

import json
import re
import weakref
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from lms_identity.errors import AdoptionRefused, NestedTooDeep, UnstorableText, VersionMismatch
from lms_identity.json_input import MAX_DEPTH, check_json_input, is_storable
from lms_identity.models import IdpConnection
from lms_identity.services.adoption import record_refusal
from lms_identity.services.audit import Actor

from .. import errors
from ..attribute_selection import Selection
from ..auth import authenticate
from ..errors import CACHE_CONTROL, CONTENT_TYPE, ScimError

ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How long a SCIM write waits for a row another request holds before answering 429 (PostgreSQL).
LOCK_TIMEOUT = "5s"


# The lock_timeout each physical connection was given, so it is set once per connection, not per request.
_lock_timeout_set: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def _bound_lock_waits() -> None:
    """Make a write that queues behind others give up after LOCK_TIMEOUT, so an overloaded database
    answers 429 with Retry-After (the IdP retries) instead of holding the IdP's connection open.

    Set for the session, once per database connection (it then bounds the lock waits of whatever else
    this web connection runs: every web request is short). Inside a caller's transaction (tests) it is
    set for that transaction only, since a rollback would undo a session-level SET."""
    if db_connection.vendor != "postgresql":
        return
    db_connection.ensure_connection()
    raw = db_connection.connection
    if db_connection.in_atomic_block:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
        return
    if _lock_timeout_set.get(raw) == LOCK_TIMEOUT:
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [LOCK_TIMEOUT])
    _lock_timeout_set[raw] = LOCK_TIMEOUT


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Authenticates the IdP connection and answers every failure as SCIM JSON."""

    connection: IdpConnection
    actor: Actor

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = self._answer(request, *args, **kwargs)
        response["Cache-Control"] = CACHE_CONTROL
        return response

    def _answer(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.SCIM_MAX_PAYLOAD_BYTES:
            return errors.error_response(
                ScimError(413, f"The body is larger than {settings.SCIM_MAX_PAYLOAD_BYTES} bytes")
            )
        try:
            connection = authenticate(request)
            if connection is None:
                return errors.unauthorized_response()
            self.connection = connection
            setattr(request, "scim_connection_id", connection.pk)  # noqa: B010 - for the request log
            self.actor = Actor.of_connection(connection)
            check_query_string(request)
            if request.method in WRITE_METHODS:
                _bound_lock_waits()
            # No transaction around the whole method: each write is one service call, which is its own
            # transaction with its audit and outbox events, or the view's own atomic block around the
            # services one request combines (a group PATCH). Nesting them here cost two savepoint
            # statements per service call.
            return super().dispatch(request, *args, **kwargs)
        except RequestDataTooBig:
            return errors.error_response(
                ScimError(413, f"The body is larger than {settings.SCIM_MAX_PAYLOAD_BYTES} bytes")
            )
        except Exception as exc:  # noqa: BLE001 - re-raised below unless it has a SCIM meaning
            if isinstance(exc, AdoptionRefused):
                record_refusal(exc)  # the request's transaction has rolled back; the trace must stay
            response = errors.from_exception(exc)
            if response is None:
                raise
            return response

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = ", ".join(self.allowed_methods())
        return errors.error_response(ScimError(405, f"{request.method} is not allowed here"), Allow=allowed)

    def allowed_methods(self) -> list[str]:
        return [m.upper() for m in self.http_method_names if m != "options" and hasattr(self, m)]

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.http_method_not_allowed(request, *args, **kwargs)

    # -- helpers for the resource views

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2/")

    def body(self) -> Any:
        raw = self.request.body
        if len(raw) > settings.SCIM_MAX_PAYLOAD_BYTES:
            raise ScimError(413, f"The body is larger than {settings.SCIM_MAX_PAYLOAD_BYTES} bytes")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ScimError(400, "The body is not valid JSON", "invalidSyntax") from None
        try:
            check_json_input(data)
        except NestedTooDeep:
            raise ScimError(400, f"The body nests deeper than {MAX_DEPTH} levels", "invalidSyntax") from None
        except UnstorableText as exc:
            # In a /.search body the filter is the offender: the IdP is told so (RFC 7644 §3.4.3).
            scim_type = "invalidFilter" if exc.field == "filter" else "invalidValue"
            raise ScimError(400, str(exc), scim_type) from None
        return data

    def json_object(self, schema: str | None = None) -> dict[str, Any]:
        data = self.body()
        if not isinstance(data, dict):
            raise ScimError(400, "The body must be a JSON object", "invalidSyntax")
        if schema is not None:
            schemas = data.get("schemas")
            if schemas is not None and (
                not isinstance(schemas, list) or schema.lower() not in [str(s).lower() for s in schemas]
            ):
                raise ScimError(400, f"The body's schemas must include {schema}", "invalidSyntax")
        return data

    def selection(self, source: Any = None) -> Selection:
        params = source if source is not None else self.request.GET
        attributes, excluded = params.get("attributes"), params.get("excludedAttributes")
        for value in (attributes, excluded):
            if value is not None and not (
                isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise ScimError(400, "attributes must be a list of attribute names", "invalidValue")
        return Selection.parse(attributes, excluded)

    def expected_version(self) -> int | None:
        """The version If-Match names; `*` or no header means any. A malformed one matches nothing."""
        header = self.request.META.get("HTTP_IF_MATCH")
        if header is None or header.strip() == "*":
            return None
        match = ETAG.match(header)
        if match is None:
            raise VersionMismatch()
        return int(match.group(1))


def check_query_string(request: HttpRequest) -> None:
    """Django decodes a query string leniently (invalid UTF-8 becomes U+FFFD), so `filter=userName eq
    "%ED%A0%80"` would quietly search for something the IdP never sent. Each parameter must be valid
    UTF-8 text the database can hold: otherwise 400 invalidFilter (for `filter`) or invalidValue."""
    raw = get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        key, text = _decoded(name), _decoded(value)
        if key is None or text is None or not (is_storable(key) and is_storable(text)):
            label = (key if key is not None else name.decode("ascii", "replace"))[:40]
            scim_type = "invalidFilter" if label == "filter" else "invalidValue"
            raise ScimError(400, f"The query parameter {label!r} is not valid text", scim_type)


def _decoded(part: bytes) -> str | None:
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def resource_response(
    data: dict[str, Any], *, status: int = 200, etag: str = "", location: str = "", request: Any = None
) -> HttpResponse:
    if request is not None and request.method == "GET" and etag and _etag_in(request, etag):
        # RFC 7644 §3.14: a GET with If-None-Match naming the current version is answered 304.
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    if etag:
        response["ETag"] = etag
    if location:
        response["Location"] = location
    return response


def _etag_in(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    return header.strip() == "*" or etag in [t.strip() for t in header.split(",")]


def json_response(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    response = errors.error_response(errors.not_found("No such endpoint"))
    response["Cache-Control"] = CACHE_CONTROL
    return response
