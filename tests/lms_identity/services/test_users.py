import pytest
from django.contrib.sessions.models import Session

from lms_identity.errors import InvalidValue, UniquenessConflict, VersionMismatch
from lms_identity.models import AuditEvent, OutboxEvent, User
from lms_identity.models.users import Source
from lms_identity.services.users import create_user, deactivate_user, delete_user, update_user
from tests.factories import ConnectionFactory, UserFactory, session_for

pytestmark = pytest.mark.django_db


def test_deactivation_ends_every_session_in_the_same_transaction(connection, system_actor):
    user = UserFactory(connection=connection)
    keys = [session_for(user), session_for(user)]

    changed = deactivate_user(user, actor=system_actor, reason="leaver")

    user.refresh_from_db()
    assert changed is True
    assert user.is_active is False and user.deactivated_at is not None
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(user.pk)).count() == 1
    assert OutboxEvent.objects.filter(kind="user.deactivated").count() == 1


def test_deactivating_twice_writes_nothing_the_second_time(connection, system_actor):
    user = UserFactory(connection=connection)
    deactivate_user(user, actor=system_actor)
    events = AuditEvent.objects.count()

    changed = deactivate_user(user, actor=system_actor)

    assert changed is False
    assert AuditEvent.objects.count() == events


def test_sessions_of_other_people_survive_a_deactivation(connection, system_actor):
    leaver, stayer = UserFactory(connection=connection), UserFactory(connection=connection)
    kept = session_for(stayer)

    deactivate_user(leaver, actor=system_actor)

    assert Session.objects.filter(session_key=kept).exists()


def test_create_adopts_an_unowned_person_with_the_same_user_name(adopting_connection, system_actor):
    connection = adopting_connection
    manual = UserFactory(connection=None, source=Source.MANUAL, user_name="Ada@Example.com")

    user, adopted = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "ada@example.com", "title": "CTO"}
    )

    assert adopted is True and user.pk == manual.pk
    assert user.connection == connection and user.source == Source.SCIM and user.title == "CTO"
    assert User.objects.count() == 1


def test_create_refuses_a_person_owned_by_another_connection(connection, other_connection, system_actor):
    UserFactory(connection=other_connection, user_name="ada@example.com")

    with pytest.raises(UniquenessConflict):
        create_user(connection=connection, actor=system_actor, attrs={"user_name": "ADA@example.com"})

    assert User.objects.count() == 1


def test_manager_named_before_arrival_is_linked_when_they_arrive(connection, system_actor):
    report, _ = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "r@x.com", "manager_ref": "boss-ext"}
    )
    assert report.manager is None and report.pending_manager_ref == "boss-ext"

    boss, _ = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "b@x.com", "external_id": "boss-ext"}
    )

    report.refresh_from_db()
    assert report.manager_id == boss.pk and report.pending_manager_ref == ""


def test_every_report_waiting_by_user_name_or_external_id_is_linked_and_no_other_connections(
    connection, system_actor
):
    other = ConnectionFactory(slug="other")
    by_name, _ = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "r1@x.com", "manager_ref": "b@x.com"}
    )
    by_id, _ = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "r2@x.com", "manager_ref": "boss-ext"}
    )
    elsewhere, _ = create_user(
        connection=other, actor=system_actor, attrs={"user_name": "r3@x.com", "manager_ref": "b@x.com"}
    )

    boss, _ = create_user(
        connection=connection, actor=system_actor, attrs={"user_name": "b@x.com", "external_id": "boss-ext"}
    )

    for report in (by_name, by_id, elsewhere):
        report.refresh_from_db()
    assert by_name.manager_id == boss.pk and by_id.manager_id == boss.pk
    assert elsewhere.manager_id is None and elsewhere.pending_manager_ref == "b@x.com"
    assert OutboxEvent.objects.filter(payload__user_ids=[str(by_name.pk)]).count() == 2  # created, linked


def test_manager_loop_is_refused_and_nothing_is_saved(connection, system_actor):
    a = UserFactory(connection=connection)
    b = UserFactory(connection=connection, manager=a)

    with pytest.raises(InvalidValue):
        update_user(a, actor=system_actor, changes={"manager_ref": str(b.pk), "title": "Lead"})

    a.refresh_from_db()
    assert a.manager is None and a.title == ""


def test_stale_version_is_refused(connection, system_actor):
    user = UserFactory(connection=connection)

    with pytest.raises(VersionMismatch):
        update_user(user, actor=system_actor, changes={"title": "x"}, expected_version=user.version + 1)


def test_soft_delete_hides_nothing_from_the_audit_and_ends_sessions(connection, system_actor):
    user = UserFactory(connection=connection)
    key = session_for(user)

    delete_user(user, actor=system_actor)

    user.refresh_from_db()
    assert user.deleted_at is not None and user.is_active is False
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="user.deleted", target_id=str(user.pk)).exists()


def test_user_name_longer_than_the_column_is_invalid(connection, system_actor):
    with pytest.raises(InvalidValue):
        create_user(connection=connection, actor=system_actor, attrs={"user_name": "x" * 300})

    assert User.objects.count() == 0
