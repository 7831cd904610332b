"""SCIM errors (RFC 7644 §3.12) and the one place that turns exceptions into SCIM Error responses."""

import json
import logging

from django.db import DatabaseError, DataError
from django.http import HttpResponse

from lms_identity.database_faults import is_too_complex, is_transient
from lms_identity.errors import IdentityError, InvalidValue, UniquenessConflict, VersionMismatch

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"
# Every SCIM answer holds people's data or a refusal about it: no cache may keep it (RFC 7644 §7).
CACHE_CONTROL = "no-store"
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


class ScimError(Exception):
    """A refusal the IdP should see as-is: HTTP status, optional scimType and a human-readable detail."""

    def __init__(self, status: int, detail: str = "", scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def not_found(detail: str = "Resource not found") -> ScimError:
    return ScimError(404, detail)


def error_response(error: ScimError, **headers: str) -> HttpResponse:
    body: dict[str, str | list[str]] = {"schemas": [ERROR_SCHEMA], "status": str(error.status)}
    if error.scim_type:
        body["scimType"] = error.scim_type
    if error.detail:
        body["detail"] = error.detail
    response = HttpResponse(json.dumps(body), status=error.status, content_type=CONTENT_TYPE)
    for name, value in headers.items():
        response[name] = value
    return response


def unauthorized_response() -> HttpResponse:
    # RFC 6750 §3: name the scheme, never the reason (wrong, revoked and foreign tokens look alike).
    response = HttpResponse(
        json.dumps({"schemas": [ERROR_SCHEMA], "status": "401"}), status=401, content_type=CONTENT_TYPE
    )
    response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def from_exception(exc: Exception) -> HttpResponse | None:
    """The SCIM response for an exception the edge knows how to explain, or None to let it propagate."""
    if isinstance(exc, ScimError):
        return error_response(exc)
    if isinstance(exc, UniquenessConflict):
        return error_response(
            ScimError(409, _scim_field_message(exc.field, "is already taken"), "uniqueness")
        )
    if isinstance(exc, VersionMismatch):
        return error_response(ScimError(412, "The resource changed since the version in If-Match"))
    if isinstance(exc, InvalidValue):
        return error_response(ScimError(400, _scim_field_message(exc.field, str(exc)), "invalidValue"))
    if isinstance(exc, IdentityError):
        return error_response(ScimError(400, str(exc), "invalidValue"))
    if isinstance(exc, RecursionError):
        # Only a filter nests without a bound (bodies are checked for depth): the same request always fails.
        return error_response(ScimError(400, "The filter nests too deeply", "invalidFilter"))
    if isinstance(exc, DatabaseError):
        return _database_error_response(exc)
    return None


def _database_error_response(exc: DatabaseError) -> HttpResponse:
    """429 with Retry-After only when a retry can succeed (lock timeouts, serialization failures,
    deadlocks, too many connections); a deterministic failure is a 400, or a logged 503. Never the
    database's own message."""
    if is_transient(exc):
        logger.warning("SCIM request refused while the database is overloaded: %s", type(exc).__name__)
        return error_response(
            ScimError(429, "The service is busy; retry later"), **{"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    if is_too_complex(exc):
        return error_response(ScimError(400, "The filter is too complex to run", "invalidFilter"))
    if isinstance(exc, DataError):
        return error_response(ScimError(400, "A value is outside what can be stored", "invalidValue"))
    logger.exception("SCIM request failed in the database")
    return error_response(
        ScimError(503, "The service could not complete the request; retry later"),
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


SCIM_NAMES = {
    "user_name": "userName",
    "email": "emails",
    "external_id": "externalId",
    "display_name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "middle_name": "name.middleName",
    "nick_name": "nickName",
    "user_type": "userType",
    "preferred_language": "preferredLanguage",
    "employee_number": "employeeNumber",
    "cost_center": "costCenter",
    "hire_date": "hireDate",
    "custom_attributes": "customAttributes",
    "is_active": "active",
    "members": "members",
}


def _scim_field_message(field: str, message: str) -> str:
    """Say it in the IdP's words: model field names in a message become SCIM attribute names."""
    scim = SCIM_NAMES.get(field, field)
    if message.startswith(field):
        return scim + message[len(field) :]
    if message.startswith("is "):
        return f"{scim} {message}"
    return message
