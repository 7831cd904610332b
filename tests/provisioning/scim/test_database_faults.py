"""429 with Retry-After only for database conditions that clear on their own; a deterministic failure
(a filter the database cannot parse, a value it cannot hold) is a 400 the IdP will not retry forever."""

import json
import sqlite3

import psycopg
import pytest
from django.db import DataError, OperationalError
from django.db import connection as db

from lms_identity.database_faults import is_too_complex, is_transient

pytestmark = pytest.mark.django_db


def wrapped(driver_error, django_class=OperationalError):
    """The exception Django raises for a driver error: its own class, the driver's as __cause__."""
    try:
        raise django_class(str(driver_error)) from driver_error
    except django_class as exc:
        return exc


def sqlite_error(message, code_name):
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = code_name
    return error


TRANSIENT = [
    psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    psycopg.errors.SerializationFailure("could not serialize access"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.TooManyConnections("sorry, too many clients already"),
    psycopg.OperationalError("connection is lost"),
    sqlite_error("database is locked", "SQLITE_BUSY"),
    sqlite_error("database table is locked", "SQLITE_LOCKED_SHAREDCACHE"),
]
DETERMINISTIC = [
    psycopg.errors.StatementTooComplex("stack depth limit exceeded"),
    sqlite_error("parser stack overflow", "SQLITE_ERROR"),
    sqlite_error("Expression tree is too large (maximum depth 1000)", "SQLITE_ERROR"),
]


@pytest.mark.parametrize("driver_error", TRANSIENT, ids=lambda e: type(e).__name__ + ":" + str(e)[:20])
def test_transient_conditions_are_retryable(driver_error):
    error = wrapped(driver_error)

    assert is_transient(error) and not is_too_complex(error)


@pytest.mark.parametrize("driver_error", DETERMINISTIC, ids=lambda e: str(e)[:20])
def test_limits_of_the_database_are_not_retryable(driver_error):
    error = wrapped(driver_error)

    assert is_too_complex(error) and not is_transient(error)


def overload_the_patch(monkeypatch, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("lms_identity.services.users.update_user", fail)


def replace_title(scim, user_id):
    return scim.patch(
        f"Users/{user_id}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        },
    )


@pytest.mark.parametrize("driver_error", TRANSIENT, ids=lambda e: type(e).__name__ + ":" + str(e)[:20])
def test_a_transient_database_condition_is_429_with_retry_after(scim, monkeypatch, driver_error):
    user = scim.post("Users", {"userName": "ann@example.com"}).json()
    overload_the_patch(monkeypatch, wrapped(driver_error))

    response = replace_title(scim, user["id"])

    assert (response.status_code, response["Retry-After"]) == (429, "5")


@pytest.mark.parametrize("driver_error", DETERMINISTIC, ids=lambda e: str(e)[:20])
def test_a_deterministic_database_limit_is_400_invalid_filter_without_retry_after(
    scim, monkeypatch, driver_error
):
    user = scim.post("Users", {"userName": "ann@example.com"}).json()
    overload_the_patch(monkeypatch, wrapped(driver_error))

    response = replace_title(scim, user["id"])

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"
    assert "Retry-After" not in response
    assert "stack" not in response.content.decode() and "parser" not in response.content.decode()


def test_a_value_the_database_cannot_hold_is_400_invalid_value(scim, monkeypatch):
    user = scim.post("Users", {"userName": "ann@example.com"}).json()
    overload_the_patch(
        monkeypatch, wrapped(psycopg.errors.NumericValueOutOfRange("integer out of range"), DataError)
    )

    response = replace_title(scim, user["id"])

    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")
    assert "Retry-After" not in response


def nested_filter(levels):
    """`id pr and (id pr or (id pr and (...)))`: and/or alternate, so Django keeps every level."""
    text = "id pr"
    for level in range(levels):
        text = f"id pr {'and' if level % 2 else 'or'} ({text})"
    return text


def test_a_filter_too_deep_for_the_database_is_never_429(scim):
    response = scim.post(
        "Users/.search",
        json.dumps(
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": nested_filter(100)}
        ),
    )

    # SQLite's parser gives up ("parser stack overflow"), PostgreSQL runs it: never "retry later".
    if db.vendor == "sqlite":
        assert (response.status_code, response.json()["scimType"]) == (400, "invalidFilter")
    else:
        assert response.status_code == 200
    assert "Retry-After" not in response
