"""On PostgreSQL a commit asks a worker to seal its audit events; it never seals them itself, never waits
on the broker, and a lost nudge is made good by the per-minute checkpoint."""

import time
from unittest import mock

import pytest
from django.db import connection as db_connection
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

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

    assert 1 <= publish.call_count <= 2  # five quick commits, coalesced
    assert AuditEvent.objects.pending().count() == 5  # the committing thread sealed none
    tasks.seal_audit.apply()  # what the worker runs
    assert not AuditEvent.objects.pending().exists()
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_dead_broker_neither_slows_the_commit_nor_loses_the_seal(deployed):
    def hang(*args, **kwargs):
        time.sleep(2)
        raise BrokerError("timed out")

    with mock.patch.object(tasks.seal_audit, "apply_async", side_effect=hang) as publish:
        started = time.monotonic()
        with transaction.atomic():
            event = record_event(Actor.system("tests"), "test.broker-down")
        elapsed = time.monotonic() - started
        assert nudges.seal_audit.wait_until_idle()

    assert elapsed < 1 and publish.call_count == 1
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    tasks.checkpoint_audit.apply()  # beat, every minute
    assert AuditEvent.objects.get(pk=event.pk).seq is not None
    assert verify_chain().ok
