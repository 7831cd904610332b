"""A change's audit event and outbox event are written together (one statement on PostgreSQL): both rows
as separate writes would make them, in the change's transaction, and the audit event sealed into the
chain like any other."""

import pytest
from django.db import transaction

from lms_identity.models import AuditEvent, OutboxEvent
from lms_identity.models.audit import RECORDED_FIELDS
from lms_identity.services import outbox
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain
from lms_identity.services.groups import create_group, delete_group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def test_the_audit_event_and_outbox_event_are_both_written_in_full():
    person = UserFactory()

    event = record_event(
        ACTOR,
        "test.changed",
        person,
        changes={"title": ("A", "B")},
        context={"why": "test"},
        emit=(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]}),
    )

    stored = AuditEvent.objects.get()
    assert stored.pk == event.pk
    assert {f: getattr(stored, f) for f in RECORDED_FIELDS} == {f: getattr(event, f) for f in RECORDED_FIELDS}
    assert (stored.target_id, stored.changes, stored.context) == (
        str(person.pk),
        {"title": ["A", "B"]},
        {"why": "test"},
    )
    sent = OutboxEvent.objects.get()
    assert (sent.kind, sent.payload, sent.dispatched_at, sent.attempts) == (
        outbox.USER_CHANGED,
        {"user_ids": [str(person.pk)]},
        None,
        0,
    )
    assert sent.created_at is not None


def test_a_rolled_back_change_leaves_neither_event():
    person = UserFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(
            ACTOR, "test.changed", person, emit=(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]})
        )
        raise RuntimeError("the change fails after its events were written")

    assert not AuditEvent.objects.exists() and not OutboxEvent.objects.exists()


def test_events_written_with_their_outbox_event_are_sealed_into_the_chain():
    person = UserFactory()
    record_event(ACTOR, "test.alone", person)
    record_event(ACTOR, "test.paired", person, emit=(outbox.USER_CHANGED, {"user_ids": [str(person.pk)]}))

    seal_pending()

    assert [e.seq for e in AuditEvent.objects.order_by("seq")] == [1, 2]
    assert verify_chain().ok


def test_deleting_a_group_names_the_deleted_group_in_its_outbox_event(connection):
    group = create_group(connection=connection, actor=ACTOR, display_name="Sales")
    group_id = str(group.pk)

    delete_group(group, actor=ACTOR)

    assert OutboxEvent.objects.order_by("id").last().payload["group_ids"] == [group_id]
    assert AuditEvent.objects.get(action="group.deleted").target_id == group_id
