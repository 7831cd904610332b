import pytest

from courses.models import Grant, GrantState
from courses.services.pools import create_pool
from courses.services.rules import create_rule
from lms_identity.celery import app as celery_app
from lms_identity.services.audit import Actor
from tests.factories import GroupFactory, MembershipFactory, UserFactory


@pytest.fixture
def eager(settings):
    """Tasks run inline, as in the unit tests; the on-commit nudge stays quiet."""
    before = celery_app.conf.task_always_eager  # read first: Celery loads its conf lazily from settings
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def seated_team(connection):
    """A team of `members` people of the test connection, each given a seat of a license pool by a rule."""

    def make(members, *, seat_count=None, product="Figma"):
        actor = Actor.system("tests")
        group = GroupFactory(connection=connection, display_name=f"{product} users")
        people = [UserFactory(connection=connection) for _ in range(members)]
        for person in people:
            MembershipFactory(group=group, user=person)
        pool = create_pool(actor=actor, product=product, seat_count=seat_count or members + 10)
        create_rule(
            {
                "name": f"{product} for the team",
                "target_type": "seat",
                "target": pool,
                "groups": [group.pk],
                "conditions": [],
                "removal_policy": "suspend",
            },
            actor=actor,
        )
        return pool, people

    return make


def has_seat(user, pool) -> bool:
    return Grant.objects.filter(user=user, pool=pool, state=GrantState.ACTIVE).exists()
