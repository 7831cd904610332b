import pytest

from courses.models import Grant, GrantState
from courses.services.pools import create_pool
from lms_identity.celery import app as celery_app
from lms_identity.services.audit import Actor
from tests.factories import EntitlementRuleFactory


@pytest.fixture
def eager(settings):
    """Tasks run inline, as in the unit tests; the on-commit nudge stays quiet."""
    before = celery_app.conf.task_always_eager  # read first: Celery loads its conf lazily from settings
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def seated_team(team):
    """seated_team(members, seat_count=None, product="Figma"): a team of the test connection, each member
    given a seat of a new license pool by a rule; returns (pool, people)."""

    def make(members, *, seat_count=None, product="Figma"):
        group, people = team(f"{product} users", members=members)
        pool = create_pool(
            actor=Actor.system("tests"), product=product, seat_count=seat_count or members + 10
        )
        EntitlementRuleFactory(target=pool, groups=[group], name=f"{product} for the team")
        return pool, people

    return make


def has_seat(user, pool) -> bool:
    return Grant.objects.filter(user=user, pool=pool, state=GrantState.ACTIVE).exists()
