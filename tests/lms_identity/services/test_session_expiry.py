"""The expiry sweep: sessions past their idle timeout, absolute lifetime or cookie lifetime end through the
session service even when their browser never comes back; live sessions stay; the cost follows the
sessions it ends."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from lms_identity.models import AuditEvent, OidcConfig, UserSession
from lms_identity.services.audit import Actor
from lms_identity.services.session_expiry import end_expired_sessions
from lms_identity.services.sessions import index_session
from provisioning import tasks
from tests.factories import ConnectionFactory, UserFactory, session_for

pytestmark = pytest.mark.django_db

SWEEP = Actor.system("session-expiry")


def aged(person, *, signed_in_ago=0, seen_ago=0, connection=None):
    """A session of the person, signed in and last seen that many seconds ago."""
    key = session_for(person)
    if connection is not None:
        index_session(person, key, connection_id=connection.pk)
    now = timezone.now()
    UserSession.objects.filter(session_key=key).update(
        created_at=now - timedelta(seconds=signed_in_ago), last_seen_at=now - timedelta(seconds=seen_ago)
    )
    return key


def live(key):
    return (
        UserSession.objects.filter(session_key=key).exists()
        and Session.objects.filter(session_key=key).exists()
    )


def causes():
    return sorted(e.context["cause"] for e in AuditEvent.objects.filter(action="session.ended"))


def test_a_session_idle_past_the_timeout_ends_and_a_recently_used_one_stays(settings):
    settings.SSO_SESSION_IDLE_TIMEOUT = 3600
    person = UserFactory()
    idle, used = aged(person, seen_ago=3601), aged(person, seen_ago=3500)

    summary = tasks.end_expired_sessions()

    assert summary == {"idle_timeout": 1}
    assert not live(idle) and live(used)
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.target_id, event.actor_label, event.context["cause"]) == (
        str(person.pk),
        "session-expiry",
        "idle_timeout",
    )


def test_a_session_past_its_absolute_lifetime_ends_however_recently_it_was_used(settings):
    settings.SSO_SESSION_ABSOLUTE_LIFETIME = 8 * 3600
    person = UserFactory()
    old, young = aged(person, signed_in_ago=8 * 3600 + 1), aged(person, signed_in_ago=8 * 3600 - 60)

    end_expired_sessions(actor=SWEEP)

    assert not live(old) and live(young)
    assert causes() == ["absolute_timeout"]


def test_each_connection_holds_its_sessions_to_its_own_idle_timeout(settings):
    settings.SSO_SESSION_IDLE_TIMEOUT = 3600
    strict, lenient = ConnectionFactory(slug="strict"), ConnectionFactory(slug="lenient")
    OidcConfig.objects.create(
        connection=strict, issuer="https://strict.test", client_id="c", idle_timeout=600
    )
    person = UserFactory(connection=strict)
    on_strict = aged(person, seen_ago=700, connection=strict)
    on_lenient = aged(person, seen_ago=700, connection=lenient)

    end_expired_sessions(actor=SWEEP)

    assert not live(on_strict) and live(on_lenient)


def test_with_the_idle_timeout_off_a_session_django_expired_ends_as_expired(settings):
    settings.SSO_SESSION_IDLE_TIMEOUT = 0
    settings.SESSION_COOKIE_AGE = 3600
    person = UserFactory()
    gone, still_stored = aged(person, seen_ago=3700), aged(person, seen_ago=3700)
    Session.objects.filter(session_key=gone).update(expire_date=timezone.now() - timedelta(seconds=1))

    summary = end_expired_sessions(actor=SWEEP)

    assert summary == {"expired": 1}
    assert not UserSession.objects.filter(session_key=gone).exists()
    assert live(still_stored)  # saved since its last touch: Django still keeps it


def test_a_session_whose_stored_row_clearsessions_deleted_leaves_the_index(settings):
    settings.SSO_SESSION_IDLE_TIMEOUT = 0
    settings.SESSION_COOKIE_AGE = 3600
    key = aged(UserFactory(), seen_ago=3700)
    Session.objects.filter(session_key=key).delete()

    assert end_expired_sessions(actor=SWEEP) == {"expired": 1}
    assert not UserSession.objects.exists()


def test_the_sweep_walks_in_chunks_and_a_bounded_run_leaves_the_rest_to_the_next(settings):
    settings.SSO_SESSION_IDLE_TIMEOUT = 3600
    person = UserFactory()
    keys = [aged(person, seen_ago=4000 + i) for i in range(5)]

    first = end_expired_sessions(actor=SWEEP, chunk_size=2, limit=3)
    second = end_expired_sessions(actor=SWEEP, chunk_size=2, limit=3)

    assert (first, second) == ({"idle_timeout": 3}, {"idle_timeout": 2})
    assert not any(live(k) for k in keys)
    # one event per person per chunk, as every call of the session service writes
    assert sorted(e.context["sessions_ended"] for e in AuditEvent.objects.filter(action="session.ended")) == [
        1,
        2,
        2,
    ]


def test_a_second_run_finds_nothing_and_writes_nothing(settings):
    aged(UserFactory(), seen_ago=settings.SSO_SESSION_IDLE_TIMEOUT + 60)
    end_expired_sessions(actor=SWEEP)
    events = AuditEvent.objects.count()

    assert end_expired_sessions(actor=SWEEP) == {}
    assert AuditEvent.objects.count() == events


def test_a_run_costs_the_same_queries_however_many_live_sessions_there_are(settings):
    connection = ConnectionFactory()
    person = UserFactory(connection=connection)

    def queries_with(live_sessions):
        UserSession.objects.all().delete()
        for _ in range(live_sessions):
            aged(person, connection=connection)
        aged(person, seen_ago=settings.SSO_SESSION_IDLE_TIMEOUT + 60, connection=connection)
        with CaptureQueriesContext(db) as run:
            assert end_expired_sessions(actor=SWEEP) == {"idle_timeout": 1}
        return len(run)

    assert queries_with(1) == queries_with(30)


def test_the_browser_of_an_ended_session_is_signed_out(client, settings):
    person = UserFactory()
    client.force_login(person)
    key = client.session.session_key
    UserSession.objects.filter(session_key=key).update(
        last_seen_at=timezone.now() - timedelta(seconds=settings.SSO_SESSION_IDLE_TIMEOUT + 60)
    )

    end_expired_sessions(actor=SWEEP)

    assert client.get("/learn/").status_code == 302
    assert not UserSession.objects.filter(user=person).exists()


def test_the_expiry_sweep_is_on_the_beat_schedule_every_five_minutes():
    task = PeriodicTask.objects.get(task="provisioning.end_expired_sessions")

    assert task.enabled and (task.interval.every, task.interval.period) == (300, "seconds")
