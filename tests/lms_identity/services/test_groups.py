import pytest

from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor
from lms_identity.services.groups import add_group_members, remove_group_members
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_admins_membership_change_is_audited_under_the_groups_connection(connection):
    """The audit trail filtered by connection shows every change to that connection's groups, including
    the ones an administrator made by hand."""
    admin = UserFactory(connection=None, is_staff=True)
    group = GroupFactory(connection=connection)
    person = UserFactory(connection=connection)

    add_group_members(group, [person.pk], actor=Actor.of_admin(admin), source="manual")
    remove_group_members(group, [person.pk], actor=Actor.of_admin(admin), source="manual")

    events = AuditEvent.objects.filter(action__startswith="group.member_", target_id=str(person.pk))
    assert sorted(events.values_list("action", "connection_id", "actor_type")) == [
        ("group.member_added", connection.pk, "admin"),
        ("group.member_removed", connection.pk, "admin"),
    ]
