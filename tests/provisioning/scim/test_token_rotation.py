"""A rotated SCIM token keeps working beside its successor for the overlap, then gets 401, whether or not
the web process remembers it (the token cache)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from lms_identity.errors import InvalidValue
from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token, revoke_scim_token, rotate_scim_token

from .conftest import ScimClient

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def later(**delta):
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(**delta))


@pytest.fixture
def rotated(connection, settings):
    settings.SCIM_TOKEN_ROTATION_OVERLAP_HOURS = 24
    settings.SCIM_TOKEN_CACHE_MS = 60_000  # the cache would remember the old token past its expiry
    old, old_raw = issue_scim_token(connection, actor=Actor.system("tests"))
    _, new_raw, old = rotate_scim_token(old, actor=Actor.system("tests"))
    return old, old_raw, new_raw


def test_the_old_token_works_during_the_overlap(rotated):
    _, old_raw, new_raw = rotated

    with later(hours=23, minutes=59):
        old_answer = ScimClient(old_raw).get("Users")
        new_answer = ScimClient(new_raw).get("Users")

    assert old_answer.status_code == 200 and new_answer.status_code == 200


def test_the_old_token_gets_401_after_the_overlap_even_when_cached(rotated):
    _, old_raw, new_raw = rotated
    assert ScimClient(old_raw).get("Users").status_code == 200  # now remembered by this process

    with later(hours=24, seconds=1):
        old_answer = ScimClient(old_raw).get("Users")
        new_answer = ScimClient(new_raw).get("Users")

    assert old_answer.status_code == 401
    assert old_answer.json() == {"schemas": [ERROR], "status": "401"}
    assert new_answer.status_code == 200


def test_the_overlap_follows_the_setting(connection, settings):
    settings.SCIM_TOKEN_ROTATION_OVERLAP_HOURS = 2
    old, old_raw = issue_scim_token(connection, actor=Actor.system("tests"))

    _, _, old = rotate_scim_token(old, actor=Actor.system("tests"))

    assert timedelta(hours=1, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=2)
    with later(hours=2, seconds=1):
        assert ScimClient(old_raw).get("Users").status_code == 401


def test_rotation_is_audited_with_the_expiry(rotated):
    old, _, _ = rotated

    event = AuditEvent.objects.get(action="scim_token.rotated")

    assert event.target_id == str(old.pk)
    assert event.context["expires_at"] == old.expires_at.isoformat()


def test_a_token_rotated_once_cannot_be_rotated_again(rotated):
    old, _, _ = rotated

    with pytest.raises(InvalidValue, match="already rotated"):
        rotate_scim_token(old, actor=Actor.system("tests"))


def test_a_revoked_token_cannot_be_rotated(connection):
    token, _ = issue_scim_token(connection, actor=Actor.system("tests"))
    revoke_scim_token(token, actor=Actor.system("tests"))

    with pytest.raises(InvalidValue, match="revoked or expired"):
        rotate_scim_token(token, actor=Actor.system("tests"))
