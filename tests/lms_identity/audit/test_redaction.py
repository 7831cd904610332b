"""A purge pseudonymises a person's audit events through the one redaction path; the chain still verifies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms_identity.models import AuditEvent, User
from lms_identity.services.audit import Actor
from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain
from lms_identity.services.users import delete_user, update_user
from provisioning.services.purge import purge_personal_data
from tests.factories import UserFactory
from tests.lms_identity.audit.conftest import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def purged_ada(connection):
    actor = Actor.of_connection(connection)
    ada = UserFactory(connection=connection, family_name="Lovelace", display_name="Ada Lovelace")
    update_user(ada, actor=actor, changes={"title": "Countess"})
    delete_user(ada, actor=actor)
    User.objects.filter(pk=ada.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    seal_pending()
    purge_personal_data(User.objects.get(pk=ada.pk), actor=Actor.system("retention purge"))
    seal_pending()
    return ada


def test_a_purge_redacts_the_persons_events_and_the_chain_still_verifies(purged_ada):
    trail = AuditEvent.objects.filter(target_id=str(purged_ada.pk))

    result = verify_chain()

    assert result.ok, result.problem
    assert "Lovelace" not in str(list(trail.values_list("target_label", "changes")))
    assert trail.filter(redacted=True).count() == trail.count() - 1  # all but the purge event itself
    assert trail.get(action="user.purged").context["events_redacted"] >= 2


def test_a_redaction_flag_set_by_hand_is_found(connection):
    bob = UserFactory(connection=connection, family_name="Builder")
    delete_user(bob, actor=Actor.system("tests"))
    seal_pending()
    event = AuditEvent.objects.get(action="user.deleted")
    tamper("UPDATE {table} SET redacted = TRUE, target_label = 'nobody' WHERE id = %s", [event.pk])

    result = verify_chain()

    assert (result.problem.kind, result.problem.event_id) == ("redaction_unexplained", event.pk)
