import uuid

import pytest
from rest_framework.test import APIClient

from courses.reconcile import reconcile_people
from courses.services.pools import create_pool
from lms_identity.models import User
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor
from tests.factories import EntitlementRuleFactory, GroupFactory, MembershipFactory, UserFactory


@pytest.fixture
def api():
    """An admin API client with a staff member's hashed token (Authorization: Token <key>)."""
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(admin, actor=Actor.system('tests'))[1]}")
    return client


def _join_and_reconcile(group, person, actor):
    MembershipFactory(group=group, user=person)
    reconcile_people([person.pk], actor=actor)


@pytest.fixture
def full_pool_with_a_queue(system_actor):
    """A one-seat pool held by `holder`; `early` started waiting before `late`, although `late` has the
    older account and the lower id (so neither account age nor id order would pick `early`)."""
    late = UserFactory(id=uuid.UUID(int=1), display_name="Late Waiter")
    early = UserFactory(id=uuid.UUID(int=2), display_name="Early Waiter")
    holder = UserFactory(id=uuid.UUID(int=3), display_name="Seat Holder")
    group = GroupFactory(display_name="Design")
    pool = create_pool(actor=system_actor, product="Figma", seat_count=1)
    EntitlementRuleFactory(target=pool, groups=[group])
    _join_and_reconcile(group, holder, system_actor)
    _join_and_reconcile(group, early, system_actor)
    _join_and_reconcile(group, late, system_actor)
    return pool, group, holder, early, late
