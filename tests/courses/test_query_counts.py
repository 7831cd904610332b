"""The reconciler costs a fixed number of queries per chunk, whatever the number of people in it."""

import pytest

from courses.reconcile import reconcile_people
from courses.services.pools import create_pool
from lms_identity.services.groups import add_group_members
from tests.factories import CourseFactory, EntitlementRuleFactory, LearningPathFactory

pytestmark = pytest.mark.django_db

# Context (rules 2, HR matrix 1, pools 1, names 3, whether any override exists 1) + per chunk (people,
# memberships, grants; overrides only when some exist) + the writes: one insert of grants, one of audit
# events. The tests add 2 for the chunk's savepoint.
FIRST_RUN = 8 + 3 + 2
STEADY = 8 + 3


@pytest.fixture
def catalog(team):
    eng, _ = team("Engineering")
    sales, _ = team("Sales")
    EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[eng])
    EntitlementRuleFactory(
        target=LearningPathFactory(slug="backend", courses=[CourseFactory(slug="sql")]), groups=[eng]
    )
    EntitlementRuleFactory(target=CourseFactory(slug="negotiation"), groups=[sales])
    EntitlementRuleFactory(
        target=CourseFactory(slug="security"),
        conditions=[{"attribute": "department", "values": ["Engineering"]}],
    )
    return eng


@pytest.mark.parametrize("size", [1, 20])
def test_a_first_run_takes_the_same_queries_for_1_or_20_people(
    catalog, connection, system_actor, size, django_assert_num_queries
):
    from tests.factories import UserFactory

    people = [UserFactory(connection=connection, department="Engineering") for _ in range(size)]
    add_group_members(catalog, [p.pk for p in people], actor=system_actor)

    with django_assert_num_queries(FIRST_RUN + 2):
        summary = reconcile_people([p.pk for p in people], actor=system_actor)

    assert summary["created"] == 3 * size


@pytest.mark.parametrize("size", [1, 20])
def test_a_run_with_nothing_to_change_takes_the_same_queries_for_1_or_20_people(
    catalog, connection, system_actor, size, django_assert_num_queries
):
    from tests.factories import UserFactory

    people = [UserFactory(connection=connection, department="Engineering") for _ in range(size)]
    add_group_members(catalog, [p.pk for p in people], actor=system_actor)
    reconcile_people([p.pk for p in people], actor=system_actor)

    with django_assert_num_queries(STEADY + 2):
        summary = reconcile_people([p.pk for p in people], actor=system_actor)

    assert summary == {"people": size}


@pytest.mark.parametrize("size", [1, 20])
def test_seat_assignment_takes_the_same_queries_for_1_or_20_people(
    team, connection, system_actor, size, django_assert_num_queries
):
    from tests.factories import UserFactory

    group, _ = team("Design")
    pool = create_pool(actor=system_actor, product="Figma", seat_count=100)
    EntitlementRuleFactory(target=pool, groups=[group])
    people = [UserFactory(connection=connection) for _ in range(size)]
    add_group_members(group, [p.pk for p in people], actor=system_actor)

    # + lock pools, count seats, who of them is on the waiting list, then the utilization check (count,
    # pools)
    with django_assert_num_queries(FIRST_RUN + 2 + 5):
        summary = reconcile_people([p.pk for p in people], actor=system_actor)

    assert summary["assigned"] == size
