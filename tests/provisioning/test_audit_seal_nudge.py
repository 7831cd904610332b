"""On PostgreSQL a commit asks a worker to seal its audit events; it never seals them itself, never waits
on the broker, and a lost nudge is made good by the per-minute checkpoint."""

import time
from unittest import mock

import pytest
from django.db import connection as db_connection
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from lms_identity.celery import app as celery_app
from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_verify import verify_chain
from provisioning import nudges, tasks

pytestmark = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="SQLite seals in the committing thread"
)


@pytest.fixture
def deployed(settings):
    """The seal hook as deployed (the suite seals inline), tasks through the broker."""
    settings.AUDIT_SEAL_NOTIFY = "provisioning.nudges.seal_audit"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    nudges.seal_audit.wait_until_idle()


@pytest.mark.django_db(transaction=True)
def test_commits_publish_a_seal_task_and_leave_the_sealing_to_it(deployed):
    with mock.patch.object(tasks.seal_audit, "apply_async") as publish:
        for n in range(5):
            with transaction.atomic():
                record_event(Actor.system("tests"), "test.nudged", context={"n": n})
        assert nudges.seal_audit.wait_until_idle()

    assert 1 <= publish.call_count <= 3  # five quick commits, coalesced (at most one publish a second)
    assert AuditEvent.objects.pending().count() == 5  # the committing thread sealed none
    tasks.seal_audit.apply()  # what the worker runs
    assert not AuditEvent.objects.pending().exists()
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_commit_does_not_wait_and_its_process_seals_itself(deployed):
    def hang(*args, **kwargs):
        time.sleep(2)
        raise BrokerError("timed out")

    with mock.patch.object(tasks.seal_audit, "apply_async", side_effect=hang) as publish:
        started = time.monotonic()
        with transaction.atomic():
            event = record_event(Actor.system("tests"), "test.broker-down")
        elapsed = time.monotonic() - started
        assert AuditEvent.objects.get(pk=event.pk).seq is None  # not in the request
        assert nudges.seal_audit.wait_until_idle()

    assert elapsed < 1 and publish.call_count == 1
    assert AuditEvent.objects.get(pk=event.pk).seq is not None  # by the nudge's thread, once it failed
    assert verify_chain().ok


def test_seals_have_a_queue_of_their_own_that_a_plain_worker_also_consumes():
    route = celery_app.amqp.router.route({}, tasks.seal_audit.name)
    assert route["queue"].name == "audit"
    assert celery_app.amqp.router.route({}, tasks.drain_outbox.name)["queue"].name == "celery"
    assert {queue.name for queue in celery_app.amqp.queues.consume_from.values()} >= {"audit", "celery"}
