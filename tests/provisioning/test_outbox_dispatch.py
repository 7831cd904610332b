"""The outbox dispatcher: identity changes become a few coalesced tasks, and none is lost to the broker."""

import time
from unittest import mock

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerError

from lms_identity.models import OutboxEvent, User, UserSession
from lms_identity.services import outbox
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import index_session
from lms_identity.services.users import deactivate_user, update_user
from provisioning import nudges, tasks
from provisioning.models import Alert, DeprovisioningLatency
from provisioning.services import outbox_dispatch
from provisioning.services.outbox_dispatch import drain_outbox
from tests.factories import UserFactory

from .conftest import has_seat


def pending():
    return OutboxEvent.objects.filter(dispatched_at__isnull=True).count()


def wait_for_nudges(timeout=10):
    nudges.drain_outbox.wait_until_idle(timeout)


@pytest.mark.django_db
def test_ten_thousand_patches_to_the_same_people_become_two_reconciles(eager, connection, settings):
    people = [UserFactory(connection=connection) for _ in range(30)]
    OutboxEvent.objects.bulk_create(
        OutboxEvent(kind=outbox.USER_CHANGED, payload={"user_ids": [str(people[i % 30].pk)]})
        for i in range(10_000)
    )

    with mock.patch.object(tasks.reconcile_people, "apply_async") as publish:
        counts = drain_outbox()

    assert counts["events"] == 10_000
    assert publish.call_count == 2  # one per claimed batch of OUTBOX_BATCH_SIZE (5000) events
    for call in publish.call_args_list:
        assert sorted(call.kwargs["kwargs"]["user_ids"]) == sorted(str(p.pk) for p in people)
    assert pending() == 0


@pytest.mark.django_db
def test_many_different_people_are_split_into_chunks_not_one_task_each(eager, connection, settings):
    settings.OUTBOX_RECONCILE_CHUNK = 100
    people = [UserFactory(connection=connection) for _ in range(250)]
    for person in people:
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]})

    with mock.patch.object(tasks.reconcile_people, "apply_async") as publish:
        drain_outbox()

    sizes = sorted(len(c.kwargs["kwargs"]["user_ids"]) for c in publish.call_args_list)
    assert sizes == [50, 100, 100]


@pytest.mark.django_db
def test_a_broker_outage_keeps_events_waiting_and_the_next_drain_sends_them(eager, connection):
    person = UserFactory(connection=connection)
    outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]})

    with mock.patch.object(tasks.reconcile_people, "apply_async", side_effect=BrokerError("down")):
        with pytest.raises(BrokerError):
            drain_outbox()
    event = OutboxEvent.objects.get()
    assert event.dispatched_at is None and event.attempts == 1 and "down" in event.last_error

    with mock.patch.object(tasks.reconcile_people, "apply_async") as publish:
        drain_outbox()

    assert publish.call_count == 1
    assert pending() == 0


@pytest.mark.django_db
def test_a_group_change_recomputes_its_members(eager, connection):
    from tests.factories import GroupFactory, MembershipFactory

    group = GroupFactory(connection=connection)
    members = [MembershipFactory(group=group, user=UserFactory(connection=connection)).user for _ in range(3)]
    outsider = UserFactory(connection=connection)
    outbox.emit(outbox.GROUP_CHANGED, {"group_ids": [str(group.pk)]})

    with mock.patch.object(tasks.reconcile_people, "apply_async") as publish:
        drain_outbox()

    sent = set(publish.call_args.kwargs["kwargs"]["user_ids"])
    assert sent == {str(m.pk) for m in members}
    assert str(outsider.pk) not in sent


@pytest.mark.django_db
def test_a_leavers_seat_is_reclaimed_and_latency_recorded(eager, seated_team, system_actor):
    pool, (leaver, stayer) = seated_team(2)
    index_session(leaver, "k" * 32)

    deactivate_user(leaver, actor=system_actor)
    drain_outbox()

    assert not UserSession.objects.filter(user=leaver).exists()
    assert not has_seat(leaver, pool)
    assert has_seat(stayer, pool)
    latency = DeprovisioningLatency.objects.get(user_id=leaver.pk)
    assert latency.event_kind == "user.deactivated"
    assert 0 <= latency.to_sessions_gone <= latency.to_seats_reclaimed < 10


@pytest.mark.django_db
def test_a_redelivered_reconcile_records_the_leaver_once(eager, seated_team, system_actor):
    pool, (leaver,) = seated_team(1)
    deactivate_user(leaver, actor=system_actor)
    event = OutboxEvent.objects.get(kind="user.deactivated")
    leavers = outbox_dispatch.leavers_of(event)

    tasks.reconcile_people.apply(kwargs={"user_ids": [str(leaver.pk)], "leavers": leavers})
    tasks.reconcile_people.apply(kwargs={"user_ids": [str(leaver.pk)], "leavers": leavers})

    assert DeprovisioningLatency.objects.filter(user_id=leaver.pk).count() == 1
    assert not has_seat(leaver, pool)


@pytest.mark.django_db(transaction=True)
def test_a_change_never_waits_on_a_dead_broker(connection, settings):
    """The on-commit nudge publishes from a daemon thread: a broker that hangs does not slow the change."""
    person = UserFactory(connection=connection)
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def hang(*args, **kwargs):
        time.sleep(2)
        raise BrokerError("timed out")

    with mock.patch.object(tasks.drain_outbox, "apply_async", side_effect=hang) as publish:
        started = time.monotonic()
        update_user(person, actor=Actor.system("tests"), changes={"title": "Engineer"})
        elapsed = time.monotonic() - started
        wait_for_nudges()

    assert elapsed < 1
    assert publish.call_count == 1  # the nudge was attempted, in the background
    assert pending() == 1  # and the event waits for the next drain


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_sends_few_nudges(connection, settings):
    people = [UserFactory(connection=connection) for _ in range(20)]
    settings.CELERY_TASK_ALWAYS_EAGER = False

    # A publish slow enough (1 s) that the 20 commits land while one is in flight even on a loaded machine
    # (at 0.3 s the burst outlasted three publishes when the two cores were shared with other runs).
    with mock.patch.object(
        tasks.drain_outbox, "apply_async", side_effect=lambda **kw: time.sleep(1.0)
    ) as send:
        for person in people:
            with transaction.atomic():
                update_user(person, actor=Actor.system("tests"), changes={"title": "Engineer"})
        wait_for_nudges()

    assert 1 <= send.call_count <= 3


@pytest.mark.django_db(transaction=True)
def test_sustained_commits_nudge_at_most_once_per_interval_and_once_after_the_last(connection, settings):
    people = [UserFactory(connection=connection) for _ in range(30)]
    settings.CELERY_TASK_ALWAYS_EAGER = False

    with mock.patch.object(tasks.drain_outbox, "apply_async") as send:
        began = time.monotonic()
        for person in people:
            with transaction.atomic():
                update_user(person, actor=Actor.system("tests"), changes={"title": "Engineer"})
            time.sleep(0.01)
        elapsed = time.monotonic() - began
        wait_for_nudges()

    assert 2 <= send.call_count <= elapsed / nudges.drain_outbox.interval + 2
    assert not nudges.drain_outbox.running


@pytest.mark.django_db
def test_draining_a_batch_takes_a_fixed_number_of_queries(eager, connection, django_assert_max_num_queries):
    people = [UserFactory(connection=connection) for _ in range(40)]
    for person in people:
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]})

    with mock.patch.object(tasks.reconcile_people, "apply_async"):
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            drain_outbox()

    assert len(queries) <= 12  # the same for 40 events or 4,000


@pytest.mark.django_db
def test_a_connection_deactivating_80_percent_keeps_their_seats_until_an_admin_confirms(
    eager, seated_team, system_actor
):
    pool, people = seated_team(20)
    leavers, stayers = people[:16], people[16:]
    for person in leavers:
        deactivate_user(person, actor=system_actor)

    counts = drain_outbox()

    assert counts["held"] == 16
    assert all(not User.objects.get(pk=p.pk).is_active for p in leavers)  # locked out all the same
    assert all(has_seat(p, pool) for p in leavers)  # but the seats are not handed on yet
    assert all(has_seat(p, pool) for p in stayers)
    alert = Alert.objects.get(resolved_at__isnull=True)
    assert "okta deactivated 16 of its 20 people" in alert.message


@pytest.mark.django_db
def test_a_normal_share_of_leavers_gives_seats_back_at_once(eager, seated_team, system_actor):
    pool, people = seated_team(20)
    for person in people[:3]:
        deactivate_user(person, actor=system_actor)

    counts = drain_outbox()

    assert counts["held"] == 0
    assert not any(has_seat(p, pool) for p in people[:3])
    assert not Alert.objects.exists()
