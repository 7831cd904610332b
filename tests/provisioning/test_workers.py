"""Real workers on real Redis and PostgreSQL: the fault tests of the background jobs.

Each test starts its own worker subprocesses (and, for the outage, its own redis-server on a spare
port), so a killed worker or a stopped broker is real."""

import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms_identity.celery import app as celery_app
from lms_identity.models import AuditChainHead, AuditEvent, OutboxEvent, User, UserSession
from lms_identity.models.users import Source
from lms_identity.services.audit_verify import verify_chain
from lms_identity.services.sessions import index_session
from provisioning import tasks
from provisioning.models import DeprovisioningLatency, JobKind, JobRun, RunStatus, SweepSettings, Trigger
from provisioning.services.job_runs import queue_job
from provisioning.services.schedules import ensure_schedules
from tests.factories import UserFactory
from tests.parallel import free_port

from .conftest import has_seat
from .workers import start_beat, start_redis, start_worker, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs a real Redis: set REDIS_URL"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="worker subprocesses share the test database, which needs PostgreSQL (DATABASE_URL)",
    ),
]

PATCH_INACTIVE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": False}}],
}
PATCH_TITLE = {**PATCH_INACTIVE, "Operations": [{"op": "replace", "value": {"title": "Auditor"}}]}


@contextmanager
def broker(url: str):
    """Point this process's publisher at another broker (as a web process configured with it would be)."""
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = before
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.fixture
def clean_queue():
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # our own Redis db number only
    yield


@pytest.fixture
def processes():
    assert not celery_app.conf.task_always_eager, "tasks must go through the broker in these tests"
    started = []
    yield started
    for process in reversed(started):
        process.kill(signal.SIGKILL)


def orphans(count):
    long_ago = timezone.now() - timedelta(days=400)
    people = [UserFactory(connection=None, source=Source.JIT) for _ in range(count)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(last_login=long_ago, created_at=long_ago)
    return people


def deactivations(people):
    ids = [str(p.pk) for p in people]
    return list(
        AuditEvent.objects.filter(action="user.deactivated", target_id__in=ids).values_list(
            "target_id", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_reclaims_a_leavers_seat_within_seconds(
    clean_queue, processes, seated_team, scim_token, client
):
    processes.append(start_worker("w1", settings.REDIS_URL))
    pool, (leaver, stayer) = seated_team(2)

    response = client.patch(
        f"/scim/v2/Users/{leaver.pk}",
        PATCH_INACTIVE,
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )

    assert response.status_code == 200
    wait_until(lambda: not has_seat(leaver, pool), timeout=10)
    assert has_seat(stayer, pool)
    latency = wait_until(lambda: DeprovisioningLatency.objects.filter(user_id=leaver.pk).first())
    assert latency.to_seats_reclaimed < 10


@pytest.mark.django_db(transaction=True)
def test_a_worker_seals_what_a_scim_request_committed_and_the_request_does_not(
    clean_queue, processes, settings, connection, scim_token, client
):
    """Sealing runs on the workers (the audit queue), not in the web process: the request's own database
    connection never touches the chain head, and the event is chained within seconds."""
    settings.AUDIT_SEAL_NOTIFY = "provisioning.nudges.seal_audit"  # as deployed (the suite seals inline)
    processes.append(start_worker("sealer", settings.REDIS_URL, queues="audit"))
    person = UserFactory(connection=connection)

    with CaptureQueriesContext(db_connection) as queries:
        response = client.patch(
            f"/scim/v2/Users/{person.pk}",
            PATCH_TITLE,
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {scim_token}",
        )

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if AuditChainHead._meta.db_table in q["sql"]]
    event = AuditEvent.objects.filter(action="user.updated", target_id=str(person.pk)).get()
    wait_until(lambda: AuditEvent.objects.get(pk=event.pk).seq is not None, timeout=20)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_redis_down_during_a_scim_deactivation_then_seats_come_back(
    processes, seated_team, scim_token, client
):
    outage_port = free_port()
    outage_url = f"redis://127.0.0.1:{outage_port}/0"
    redis_server = start_redis(outage_port)
    processes.append(redis_server)
    processes.append(start_worker("w1", outage_url))
    ensure_schedules(*_beat_models())
    processes.append(start_beat(outage_url))
    pool, (leaver, stayer) = seated_team(2)
    index_session(leaver, "s" * 32)

    redis_server.kill(signal.SIGKILL)
    with broker(outage_url):
        started = time.monotonic()
        response = client.patch(
            f"/scim/v2/Users/{leaver.pk}",
            PATCH_INACTIVE,
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {scim_token}",
        )
        elapsed = time.monotonic() - started

    assert response.status_code == 200 and elapsed < 1
    assert not User.objects.get(pk=leaver.pk).is_active
    assert not UserSession.objects.filter(user=leaver).exists()  # locked out at once
    time.sleep(3)
    assert has_seat(leaver, pool)  # the follow-up waits for the broker...
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()  # ...and is not lost

    processes.append(start_redis(outage_port))

    wait_until(lambda: not has_seat(leaver, pool), timeout=60)  # beat drains, the worker reclaims
    assert has_seat(stayer, pool)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_and_the_next_run_finishes_without_doing_anything_twice(
    clean_queue, processes
):
    SweepSettings.objects.update_or_create(
        kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 5, "brake_share": 1.0}
    )
    people = orphans(500)
    first = start_worker("w1", settings.REDIS_URL, JOB_LOCK_TTL="3")
    processes.append(first)

    tasks.run_job.apply_async(kwargs={"kind": JobKind.ORPHANED_ACCOUNTS})
    run = wait_until(lambda: JobRun.objects.filter(processed__gte=30).first(), timeout=60, every=0.02)
    first.kill(signal.SIGKILL)

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.processed < 500
    done_before = len(deactivations(people))
    assert 0 < done_before < 500

    processes.append(start_worker("w2", settings.REDIS_URL, JOB_LOCK_TTL="3"))
    time.sleep(3)  # the dead worker's lease expires
    tasks.run_job.apply_async(kwargs={"kind": JobKind.ORPHANED_ACCOUNTS})  # the next scheduled run

    wait_until(lambda: JobRun.objects.get(pk=run.pk).status == RunStatus.DONE, timeout=90)
    run.refresh_from_db()
    assert run.counts["resumed"] == 1 and run.processed == 500
    done = deactivations(people)
    assert len(done) == 500 and len(set(done)) == 500  # each person exactly once
    assert JobRun.objects.count() == 1
    assert not User.objects.filter(pk__in=[p.pk for p in people], is_active=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_starting_the_same_sweep_run_it_once(clean_queue, processes):
    SweepSettings.objects.update_or_create(
        kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 20, "brake_share": 1.0}
    )
    people = orphans(150)
    processes.append(start_worker("w1", settings.REDIS_URL))
    processes.append(start_worker("w2", settings.REDIS_URL))

    runs = [queue_job(JobKind.ORPHANED_ACCOUNTS, dry_run=False, trigger=Trigger.ADMIN) for _ in range(2)]

    finished = {RunStatus.DONE, RunStatus.SKIPPED}
    wait_until(lambda: set(JobRun.objects.values_list("status", flat=True)) <= finished, timeout=90)
    statuses = sorted(JobRun.objects.filter(pk__in=[r.pk for r in runs]).values_list("status", flat=True))
    assert statuses == [RunStatus.DONE, RunStatus.SKIPPED]
    done = deactivations(people)
    assert len(done) == 150 and len(set(done)) == 150


def _beat_models():
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    return PeriodicTask, IntervalSchedule, CrontabSchedule
