"""One lock-out, whoever asks: the same audit event (cause in its context) and the same outbox event."""

import pytest

from lms_identity.models import AuditEvent, OutboxEvent, User
from lms_identity.services.lockout import deactivate_user, deactivate_users, reactivate_user
from lms_identity.services.users import delete_user, update_user
from tests.factories import UserFactory, session_for

pytestmark = pytest.mark.django_db


def lockout_event(user):
    return AuditEvent.objects.get(action="user.deactivated", target_id=str(user.pk))


def test_the_reason_of_a_deactivation_is_in_its_event_not_a_second_one(connection, system_actor):
    user = UserFactory(connection=connection)
    session_for(user)

    deactivate_user(user, actor=system_actor, reason="leaver")

    event = lockout_event(user)
    assert (event.changes, event.context) == (
        {"is_active": [True, False]},
        {"sessions_ended": 1, "reason": "leaver"},
    )
    # Beside it only the session service's own record of the ended session, with the same cause.
    others = AuditEvent.objects.filter(target_id=str(user.pk)).exclude(pk=event.pk)
    assert [(e.action, e.context["cause"]) for e in others] == [("session.ended", "deactivated")]


def test_an_idp_deactivation_and_a_sweep_write_the_same_event_shape(connection, system_actor):
    by_idp, by_sweep = UserFactory(connection=connection), UserFactory(connection=connection)

    update_user(by_idp, actor=system_actor, changes={"is_active": False})
    deactivate_users([by_sweep], actor=system_actor, reason="orphaned")

    idp_event, sweep_event = lockout_event(by_idp), lockout_event(by_sweep)
    assert idp_event.changes == sweep_event.changes == {"is_active": [True, False]}
    assert set(idp_event.context) == set(sweep_event.context) == {"sessions_ended", "reason"}
    assert OutboxEvent.objects.filter(kind="user.deactivated").count() == 2


def test_deleting_an_active_person_locks_them_out_with_the_deletion_as_cause(connection, system_actor):
    user = UserFactory(connection=connection)
    session_for(user)

    delete_user(user, actor=system_actor)

    assert lockout_event(user).context == {"sessions_ended": 1, "reason": "deleted"}
    assert list(OutboxEvent.objects.filter(kind__startswith="user.d").values_list("kind", flat=True)) == [
        "user.deleted"
    ]


def test_deleting_an_inactive_person_writes_no_second_lockout(connection, system_actor):
    user = UserFactory(connection=connection)
    deactivate_user(user, actor=system_actor, reason="leaver")

    delete_user(user, actor=system_actor)

    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(user.pk)).count() == 1


def test_reactivation_lets_the_person_back_and_a_repeat_changes_nothing(connection, system_actor):
    user = UserFactory(connection=connection)
    deactivate_user(user, actor=system_actor)

    first, second = reactivate_user(user, actor=system_actor), reactivate_user(user, actor=system_actor)

    user.refresh_from_db()
    assert (first, second) == (True, False)
    assert user.is_active is True and user.deactivated_at is None
    assert AuditEvent.objects.filter(action="user.reactivated", target_id=str(user.pk)).count() == 1


def test_reactivating_a_deleted_person_restores_them(connection, system_actor):
    user = UserFactory(connection=connection)
    delete_user(user, actor=system_actor)

    reactivate_user(user, actor=system_actor)

    assert User.objects.get(pk=user.pk).deleted_at is None
