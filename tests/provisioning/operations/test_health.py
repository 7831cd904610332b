"""/healthz answers while the process runs; /readyz names each missing dependency."""

import socket
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from lms_identity.models import AuditCheckpoint, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything_running():
    """A worker heartbeat and a beat run a moment ago, nothing waiting in the outbox."""
    AuditCheckpoint.objects.create(seq=0, chain_hash="", signature="")
    every = IntervalSchedule.objects.create(every=5, period="seconds")
    PeriodicTask.objects.create(
        name="tick", task="provisioning.drain_outbox", interval=every, last_run_at=timezone.now()
    )


@pytest.fixture
def closed_port():
    """A local port nothing listens on (bound by the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _readyz(client):
    response = client.get("/readyz", {"format": "json"})
    return response.status_code, response.json()


def test_healthz_answers_without_checking_anything(client, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    response = client.get("/healthz", {"format": "json"})

    assert response.status_code == 200


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs a Redis server (set REDIS_URL)")
def test_readyz_is_healthy_when_every_dependency_is(client, everything_running):
    status, body = _readyz(client)

    assert status == 200, body
    assert set(body.values()) == {"OK"}
    assert any(name.startswith("Redis(") for name in body)


def test_readyz_is_unhealthy_when_redis_does_not_answer(client, settings, everything_running, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    status, body = _readyz(client)

    assert status == 500
    assert [v for k, v in body.items() if k.startswith("Redis(")] == [
        "Unavailable: Unable to connect to Redis: Connection Error"
    ]


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs a Redis server (set REDIS_URL)")
def test_readyz_turns_healthy_again_when_redis_returns(client, settings, everything_running, closed_port):
    good = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    assert _readyz(client)[0] == 500

    settings.REDIS_URL = good
    status, _ = _readyz(client)

    assert status == 200


def test_readyz_is_unhealthy_without_a_recent_worker_heartbeat(client, settings, everything_running):
    settings.REDIS_URL = ""
    AuditCheckpoint.objects.update(at=timezone.now() - timedelta(minutes=10))

    status, body = _readyz(client)

    assert status == 500
    assert body["WorkerHeartbeat()"].startswith("Unavailable: last worker heartbeat: 6")


def test_readyz_is_unhealthy_when_beat_has_not_run(client, settings, everything_running):
    settings.REDIS_URL = ""
    PeriodicTask.objects.update(last_run_at=None)

    status, body = _readyz(client)

    assert (status, body["BeatLastRun()"]) == (500, "Unavailable: beat's last run: never")


def test_readyz_is_unhealthy_when_the_outbox_backs_up(client, settings, everything_running):
    settings.REDIS_URL = ""
    event = OutboxEvent.objects.create(kind="user.changed")
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(hours=1))

    status, body = _readyz(client)

    assert status == 500
    assert body["OutboxBacklogAge()"].startswith("Unavailable: the oldest undispatched outbox event")
    assert body["Database(alias='default')"] == "OK"
