"""On PostgreSQL the table itself refuses UPDATE and DELETE; concurrent writers still make one chain."""

import threading
from collections import Counter

import pytest
from django.db import DatabaseError, connections, transaction
from django.db import connection as db_connection

from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain
from tests.lms_identity.audit.conftest import TABLE

pytestmark = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="the trigger and real concurrency need PostgreSQL"
)


@pytest.mark.django_db
def test_a_raw_update_is_refused_by_the_trigger(sealed_trail):
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        with db_connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", [sealed_trail[0].pk])

    assert AuditEvent.objects.get(pk=sealed_trail[0].pk).action == "test.event"


@pytest.mark.django_db
def test_a_raw_delete_is_refused_by_the_trigger(sealed_trail):
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        with db_connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")

    assert AuditEvent.objects.count() == 10


@pytest.mark.django_db
def test_the_trigger_refuses_resealing_an_event_with_another_hash(sealed_trail):
    with pytest.raises(DatabaseError, match="UPDATE refused"), transaction.atomic():
        with db_connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET chain_hash = 'f00' WHERE id = %s", [sealed_trail[0].pk])


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_make_one_valid_chain():
    barrier = threading.Barrier(8)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(25):
                with transaction.atomic():
                    record_event(Actor.system(f"writer {n}"), "test.concurrent", context={"i": i})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    seal_pending()

    result = verify_chain()
    assert errors == []
    assert result.ok and result.checked == 200 and result.pending == 0
    per_writer = Counter(AuditEvent.objects.values_list("actor_label", flat=True))
    assert set(per_writer.values()) == {25} and len(per_writer) == 8


@pytest.mark.django_db(transaction=True)
def test_without_a_worker_to_ask_the_committing_thread_seals_at_commit(settings):
    settings.AUDIT_SEAL_NOTIFY = ""
    with transaction.atomic():
        event = record_event(Actor.system("tests"), "test.inline")
        assert AuditEvent.objects.get(pk=event.pk).seq is None  # not before the commit

    assert AuditEvent.objects.get(pk=event.pk).seq == 1
    assert verify_chain().ok
