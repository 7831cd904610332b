"""The jobs API against a real worker and real PostgreSQL: a dry run started by API completes on the
worker, and starts racing each other queue exactly one run."""

import threading

import pytest
import redis
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from lms_identity.models import User
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor
from provisioning.errors import JobAlreadyRunning
from provisioning.models import JobKind, JobRun, Trigger
from provisioning.services.job_runs import start_job

from .test_workers import orphans
from .workers import start_worker, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs a real Redis: set REDIS_URL"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="worker subprocesses and racing threads need PostgreSQL (DATABASE_URL)",
    ),
]


@pytest.fixture
def clean_queue():
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # our own Redis db number only
    yield
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_started_by_api_completes_on_a_worker(clean_queue):
    worker = start_worker("w1", settings.REDIS_URL)
    try:
        people = orphans(3)
        # The owner's token: an earlier transactional test's flush may have emptied the role templates.
        owner = User.objects.create_superuser("owner", "owner@example.com", "x")
        api = APIClient(HTTP_AUTHORIZATION=f"Token {issue_api_token(owner, actor=Actor.system('tests'))[1]}")

        response = api.post(
            "/api/v1/job-runs/", {"kind": "orphaned_accounts", "dry_run": True}, format="json"
        )
        run = wait_until(
            lambda: JobRun.objects.filter(pk=response.json()["id"], status="done").first(), timeout=30
        )
    finally:
        worker.kill()

    assert response.status_code == 202
    assert run.counts["would_act_on"] == 3
    assert sorted(row["id"] for row in run.report["sample"]) == sorted(str(p.pk) for p in people)


@pytest.mark.django_db(transaction=True)
def test_starts_at_the_same_moment_queue_one_run_and_refuse_the_others(clean_queue):
    barrier = threading.Barrier(6)
    started, refused, errors = [], [], []

    def start():
        try:
            barrier.wait()
            started.append(
                start_job(
                    JobKind.INACTIVE_ACCESS, dry_run=True, trigger=Trigger.API, actor=Actor.system("tests")
                )
            )
        except JobAlreadyRunning as busy:
            refused.append(busy.run.pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(started) == 1
    assert refused == [started[0].pk] * 5
    assert JobRun.objects.filter(kind=JobKind.INACTIVE_ACCESS).count() == 1
