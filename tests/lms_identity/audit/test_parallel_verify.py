"""A long chain is walked in segments (in parallel processes on PostgreSQL); what the walk finds, and
where, is what one walk from position 1 finds."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db_connection

from lms_identity.models import AuditEvent
from lms_identity.services import audit_verify
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain
from tests.lms_identity.audit.conftest import tamper


@pytest.fixture
def segmented(monkeypatch):
    """Ten events count as a long chain: three workers walk positions 1-4, 5-8 and 9-10."""
    monkeypatch.setattr(audit_verify, "PARALLEL_MIN_EVENTS", 1)


@pytest.mark.django_db
def test_an_intact_chain_walked_in_segments_verifies_whole(sealed_trail, segmented):
    result = verify_chain(workers=3)

    assert result.ok and result.checked == 10 and result.head_seq == 10


@pytest.mark.django_db
def test_an_altered_event_opening_a_segment_is_found_at_its_position(sealed_trail, segmented):
    victim = sealed_trail[4]
    tamper("UPDATE {table} SET context = %s WHERE id = %s", ['{"i": 99}', victim.pk])

    result = verify_chain(workers=3)

    problem = result.problem
    assert (problem.kind, problem.position, problem.event_id) == ("altered", 5, victim.pk)
    assert result.checked == 4


@pytest.mark.django_db
def test_an_event_deleted_at_the_end_of_a_segment_is_found_as_a_gap_naming_the_next(sealed_trail, segmented):
    tamper("DELETE FROM {table} WHERE id IN (%s, %s)", [sealed_trail[6].pk, sealed_trail[7].pk])

    result = verify_chain(workers=3)

    assert (result.problem.kind, result.problem.position) == ("missing", 7)
    assert result.problem.detail == "no event at this position; the next is #9"
    assert result.checked == 6


@pytest.mark.django_db
def test_of_two_broken_segments_the_earlier_link_is_reported(sealed_trail, segmented):
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["user.nothing", sealed_trail[8].pk])
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["user.nothing", sealed_trail[2].pk])

    result = verify_chain(workers=3)

    assert (result.problem.kind, result.problem.position) == ("altered", 3)


@pytest.mark.django_db
def test_verify_audit_refuses_a_worker_count_below_one(sealed_trail):
    with pytest.raises(CommandError, match="--workers"):
        call_command("verify_audit", "--workers", "0")


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the walk forks only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_verify_audit_in_two_processes_finds_the_altered_event(segmented, capsys):
    actor = Actor.system("tests")
    for i in range(10):
        record_event(actor, "test.event", context={"i": i})
    seal_pending()
    call_command("verify_audit", "--workers", "2")
    intact = capsys.readouterr().out

    victim = AuditEvent.objects.get(seq=8)
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["user.nothing", victim.pk])

    with pytest.raises(CommandError) as raised:
        call_command("verify_audit", "--workers", "2")

    assert "Audit chain intact: 10 events" in intact
    assert raised.value.returncode == 1
    assert "altered at position 8" in capsys.readouterr().err
