"""The audit trail is append-only and hash-chained; verify_audit finds the first broken or missing link."""

import logging

import pytest
from django.core.management import CommandError, call_command

from lms_identity.models import AuditChainHead, AuditEvent
from lms_identity.models.audit import AuditAppendOnly
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending, write_checkpoint
from lms_identity.services.audit_verify import verify_chain
from tests.lms_identity.audit.conftest import tamper

pytestmark = pytest.mark.django_db


def test_an_update_through_the_orm_is_refused(sealed_trail):
    event = sealed_trail[0]

    event.action = "nothing.happened"
    with pytest.raises(AuditAppendOnly):
        event.save()
    with pytest.raises(AuditAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")

    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_a_delete_through_the_orm_is_refused(sealed_trail):
    event = sealed_trail[0]

    with pytest.raises(AuditAppendOnly):
        event.delete()
    with pytest.raises(AuditAppendOnly):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 10


def test_sealing_gives_committed_events_consecutive_positions_and_the_chain_verifies(sealed_trail):
    positions = [event.seq for event in sealed_trail]

    result = verify_chain()

    assert positions == list(range(1, 11))
    assert result.ok and result.checked == 10 and result.pending == 0
    assert AuditChainHead.objects.get().seq == 10


def test_a_second_seal_changes_nothing(sealed_trail):
    head = AuditChainHead.objects.get()

    sealed = seal_pending()

    assert sealed == 0
    assert AuditChainHead.objects.get().chain_hash == head.chain_hash


def test_events_written_after_a_seal_continue_the_chain(sealed_trail):
    record_event(Actor.system("tests"), "test.later")

    seal_pending()

    assert AuditEvent.objects.get(action="test.later").seq == 11
    assert verify_chain().ok


def test_an_altered_event_is_found_at_its_position(sealed_trail):
    victim = sealed_trail[6]
    tamper("UPDATE {table} SET context = %s WHERE id = %s", ['{"i": 99}', victim.pk])

    result = verify_chain()

    assert not result.ok
    assert (result.problem.kind, result.problem.position, result.problem.event_id) == (
        "altered",
        7,
        victim.pk,
    )
    assert result.checked == 6


def test_a_rewritten_label_is_found_even_with_its_hash_untouched(sealed_trail):
    victim = sealed_trail[2]
    tamper("UPDATE {table} SET target_label = %s WHERE id = %s", ["someone else", victim.pk])

    result = verify_chain()

    assert (result.problem.kind, result.problem.position) == ("personal_fields_altered", 3)


def test_a_deleted_event_is_found_as_a_gap_at_its_position(sealed_trail):
    tamper("DELETE FROM {table} WHERE id = %s", [sealed_trail[4].pk])

    result = verify_chain()

    assert (result.problem.kind, result.problem.position, result.problem.event_id) == ("missing", 5, None)


def test_deleting_the_newest_events_is_found_against_the_chain_head(sealed_trail):
    tamper("DELETE FROM {table} WHERE id IN (%s, %s)", [sealed_trail[8].pk, sealed_trail[9].pk])

    result = verify_chain()

    assert (result.problem.kind, result.problem.position) == ("head", 9)


def test_verify_audit_exits_zero_on_an_intact_chain(sealed_trail, capsys):
    call_command("verify_audit")

    assert "Audit chain intact: 10 events" in capsys.readouterr().out


def test_verify_audit_exits_one_with_the_position_of_the_broken_link(sealed_trail, capsys):
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["user.nothing", sealed_trail[3].pk])

    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")

    assert raised.value.returncode == 1
    assert "altered at position 4" in capsys.readouterr().err


def test_a_chain_signed_with_another_key_does_not_verify(sealed_trail, settings):
    settings.AUDIT_HMAC_KEY = "another key"

    result = verify_chain()

    assert (result.problem.kind, result.problem.position) == ("altered", 1)


def test_a_checkpoint_is_signed_and_written_to_the_log(sealed_trail, caplog):
    caplog.set_level(logging.INFO, logger="lms_identity.audit")

    checkpoint = write_checkpoint()

    assert checkpoint.seq == 10 and checkpoint.chain_hash == sealed_trail[-1].chain_hash
    assert f"seq=10 hash={checkpoint.chain_hash} signature={checkpoint.signature}" in caplog.text
    assert verify_chain().ok


def test_cutting_the_chain_back_behind_a_checkpoint_is_found(sealed_trail):
    write_checkpoint()
    tamper("DELETE FROM {table} WHERE id IN (%s, %s)", [sealed_trail[8].pk, sealed_trail[9].pk])
    tamper("UPDATE lms_identity_auditchainhead SET seq = 8, chain_hash = %s", [sealed_trail[7].chain_hash])

    result = verify_chain()

    assert (result.problem.kind, result.problem.position) == ("checkpoint", 9)
