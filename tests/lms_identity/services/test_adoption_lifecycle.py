import pytest
from django.contrib.sessions.models import Session

from lms_identity.models import AuditEvent, OutboxEvent
from lms_identity.services.users import create_user
from tests.factories import UserFactory, session_for

pytestmark = pytest.mark.django_db


def test_adopting_a_person_as_inactive_locks_them_out_like_a_deactivation(adopting_connection, system_actor):
    manual = UserFactory(connection=None, user_name="ana@example.com", is_active=True)
    key = session_for(manual)

    user, adopted = create_user(
        connection=adopting_connection,
        actor=system_actor,
        attrs={"user_name": "ana@example.com", "is_active": False},
    )

    user.refresh_from_db()
    assert adopted is True
    assert user.is_active is False
    assert user.deactivated_at is not None
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(user.pk)).count() == 1
    assert OutboxEvent.objects.filter(kind="user.deactivated").count() == 1


def test_adopting_a_person_as_active_writes_no_deactivation(adopting_connection, system_actor):
    UserFactory(connection=None, user_name="ben@example.com", is_active=True)

    user, _ = create_user(
        connection=adopting_connection, actor=system_actor, attrs={"user_name": "ben@example.com"}
    )

    user.refresh_from_db()
    assert user.is_active is True and user.deactivated_at is None
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()
    assert not OutboxEvent.objects.filter(kind="user.deactivated").exists()
