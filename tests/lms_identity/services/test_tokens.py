"""SCIM tokens: a live token's connection is remembered for SCIM_TOKEN_CACHE_MS per process, and a
revocation or a disabled connection still takes effect within that time."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from lms_identity.models import ScimToken
from lms_identity.services.audit import Actor
from lms_identity.services.token_cache import tokens as token_cache
from lms_identity.services.tokens import find_connection_for_token, issue_scim_token, revoke_scim_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    token_cache.clear()
    yield
    token_cache.clear()


@pytest.fixture
def used_token(connection):
    """A token that has served one request (so it is remembered and marked used)."""
    token, raw = issue_scim_token(connection, actor=Actor.system("tests"))
    assert find_connection_for_token(raw) == connection
    return token, raw


def test_a_remembered_token_costs_no_query(used_token, connection, django_assert_num_queries):
    _, raw = used_token

    with django_assert_num_queries(0):
        found = find_connection_for_token(raw)

    assert found == connection


def test_with_the_cache_off_every_request_looks_the_token_up(used_token, settings, django_assert_num_queries):
    _, raw = used_token
    settings.SCIM_TOKEN_CACHE_MS = 0
    token_cache.clear()

    with django_assert_num_queries(1):
        find_connection_for_token(raw)
    with django_assert_num_queries(1):
        found = find_connection_for_token(raw)

    assert found is not None


def test_a_token_revoked_in_this_process_stops_working_at_once(
    used_token, django_capture_on_commit_callbacks
):
    token, raw = used_token

    with django_capture_on_commit_callbacks(execute=True):
        revoke_scim_token(token, actor=Actor.system("tests"))

    assert find_connection_for_token(raw) is None


def test_a_token_revoked_by_another_process_stops_working_within_the_cache_time(used_token, settings):
    token, raw = used_token
    settings.SCIM_TOKEN_CACHE_MS = 1000
    token_cache.clear()
    assert find_connection_for_token(raw) is not None
    began = time.monotonic()

    # Another web process revokes it: this process's memory is not told.
    ScimToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    time.sleep(max(0.0, began + 1.0 - time.monotonic()))

    assert find_connection_for_token(raw) is None


def test_a_connection_disabled_elsewhere_stops_working_within_the_cache_time(used_token, connection):
    _, raw = used_token
    began = time.monotonic()

    type(connection).objects.filter(pk=connection.pk).update(enabled=False)
    time.sleep(max(0.0, began + 1.0 - time.monotonic()))

    assert find_connection_for_token(raw) is None


def test_an_unknown_token_is_never_remembered(connection, django_assert_num_queries):
    find_connection_for_token("scim_not-a-token")

    with django_assert_num_queries(1):
        found = find_connection_for_token("scim_not-a-token")

    assert found is None


def test_each_request_gets_its_own_copy_of_the_connection(used_token, connection):
    _, raw = used_token

    first = find_connection_for_token(raw)
    assert first is not None
    first.name = "changed by one request"
    second = find_connection_for_token(raw)

    assert second is not None
    assert second.name == connection.name
    assert second is not first


def test_a_remembered_token_is_still_marked_used_once_a_minute(used_token, monkeypatch):
    token, raw = used_token
    token.refresh_from_db()
    first_use = token.last_used_at
    later = first_use + timedelta(minutes=2)
    monkeypatch.setattr("lms_identity.services.tokens.timezone.now", lambda: later)

    find_connection_for_token(raw)

    token.refresh_from_db()
    assert token.last_used_at == later
