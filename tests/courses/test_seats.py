"""License pools: seats follow people in and out, and are never oversold."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections

from courses.errors import InvalidInput
from courses.models import Grant, LicensePool, SeatWait
from courses.reconcile import reconcile_people
from courses.services.pools import create_pool, update_pool
from lms_identity.models import AuditEvent
from lms_identity.services.groups import remove_group_members
from lms_identity.services.users import deactivate_user
from tests.factories import EntitlementRuleFactory, GroupFactory, MembershipFactory, UserFactory


def seats(pool):
    return Grant.objects.filter(pool=pool, state="active").count()


@pytest.mark.django_db
def test_a_leavers_seat_returns_to_the_pool_at_once(team, system_actor):
    group, (leaver, waiting) = team("Design", members=2)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=1, grace_days=30)
    EntitlementRuleFactory(target=pool, groups=[group])
    holder, other = (
        (leaver, waiting) if Grant.objects.filter(user=leaver, state="active").exists() else (waiting, leaver)
    )

    deactivate_user(holder, actor=system_actor)
    reconcile_people([holder.pk, other.pk], actor=system_actor)

    assert Grant.objects.get(user=holder, pool=pool).state == "revoked"
    assert Grant.objects.get(user=other, pool=pool).state == "active"
    assert seats(pool) == 1


@pytest.mark.django_db
def test_a_seat_a_leaver_gives_back_goes_to_someone_waiting_for_one(team, system_actor):
    group, people = team("Design", members=3)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=2)
    EntitlementRuleFactory(target=pool, groups=[group])
    holders = [p for p in people if Grant.objects.filter(user=p, pool=pool, state="active").exists()]
    (waiting,) = [p for p in people if p not in holders]

    deactivate_user(holders[0], actor=system_actor)
    summary = reconcile_people([holders[0].pk], actor=system_actor)

    assert summary["reclaimed"] == 1 and summary["assigned"] == 1
    assert Grant.objects.get(user=waiting, pool=pool).state == "active"
    assert seats(pool) == 2


@pytest.mark.django_db
def test_who_stops_matching_keeps_the_seat_for_the_grace_days_then_loses_it(team, system_actor):
    group, (person,) = team("Design", members=1)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=5, grace_days=7)
    EntitlementRuleFactory(target=pool, groups=[group])

    remove_group_members(group, [person.pk], actor=system_actor)
    reconcile_people([person.pk], actor=system_actor)
    grant = Grant.objects.get(user=person, pool=pool)
    assert grant.state == "active" and grant.grace_until is not None

    Grant.objects.filter(pk=grant.pk).update(grace_until=grant.grace_until - timedelta(days=8))
    reconcile_people([person.pk], actor=system_actor)

    assert Grant.objects.get(pk=grant.pk).state == "revoked"
    assert seats(pool) == 0


@pytest.mark.django_db
def test_more_matches_than_seats_fills_the_pool_and_no_more(team, system_actor):
    group, people = team("Design", members=5)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=3)

    EntitlementRuleFactory(target=pool, groups=[group])

    assert seats(pool) == 3


@pytest.mark.django_db
def test_utilization_alerts_at_75_and_100_percent_once_each(team, system_actor):
    group, people = team("Design", members=4)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=4)

    EntitlementRuleFactory(target=pool, groups=[group])
    reconcile_people([p.pk for p in people], actor=system_actor)

    alerts = AuditEvent.objects.filter(action="license_pool.utilization_alert", target_id=str(pool.pk))
    assert [a.context["level"] for a in alerts] == [100]
    pool.refresh_from_db()
    assert pool.alert_level == 100


@pytest.mark.django_db
def test_the_75_percent_alert_fires_below_full(team, system_actor):
    group, _ = team("Design", members=3)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=4)

    EntitlementRuleFactory(target=pool, groups=[group])

    assert list(
        AuditEvent.objects.filter(action="license_pool.utilization_alert").values_list(
            "context__level", flat=True
        )
    ) == [75]


@pytest.mark.django_db
def test_a_seat_count_below_the_seats_in_use_is_refused(team, system_actor):
    group, _ = team("Design", members=3)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=5)
    EntitlementRuleFactory(target=pool, groups=[group])

    with pytest.raises(InvalidInput, match="3 seats are in use"):
        update_pool(pool, actor=system_actor, changes={"seat_count": 2})

    assert LicensePool.objects.get(pk=pool.pk).seat_count == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="SQLite serialises every writer, so this race needs PostgreSQL (set DATABASE_URL)",
)
def test_fifty_people_matching_a_ten_seat_pool_at_once_get_exactly_ten_seats(connection, system_actor):
    group = GroupFactory(connection=connection, display_name="Everyone")
    people = [UserFactory(connection=connection) for _ in range(50)]
    for person in people:
        MembershipFactory(group=group, user=person)
    pool = create_pool(actor=system_actor, product="Copilot", seat_count=10)
    from courses.models import EntitlementRule

    rule = EntitlementRule.objects.create(name="everyone", target_type="seat", pool=pool)
    rule.groups.set([group])
    barrier = threading.Barrier(50)
    errors = []

    def work(person):
        try:
            barrier.wait()
            reconcile_people([person.pk], actor=system_actor)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert seats(pool) == 10
    assert AuditEvent.objects.filter(action="seat.assigned").count() == 10


@pytest.mark.django_db
def test_the_person_who_started_waiting_first_gets_the_freed_seat(full_pool_with_a_queue, system_actor):
    pool, _, holder, early, late = full_pool_with_a_queue

    deactivate_user(holder, actor=system_actor)
    reconcile_people([holder.pk], actor=system_actor)

    assert Grant.objects.get(user=early, pool=pool).state == "active"
    assert not Grant.objects.filter(user=late, pool=pool, state="active").exists()
    assert list(SeatWait.objects.filter(pool=pool).values_list("user_id", flat=True)) == [late.pk]


@pytest.mark.django_db
def test_who_finds_no_seat_is_recorded_as_waiting_since_then(full_pool_with_a_queue):
    pool, _, holder, early, late = full_pool_with_a_queue

    waits = {w.user_id: w.since for w in SeatWait.objects.filter(pool=pool)}

    assert set(waits) == {early.pk, late.pk}
    assert waits[early.pk] < waits[late.pk]


@pytest.mark.django_db
def test_who_stops_matching_leaves_the_queue_and_rejoins_at_its_end(full_pool_with_a_queue, system_actor):
    pool, group, holder, early, late = full_pool_with_a_queue
    late_since = SeatWait.objects.get(pool=pool, user=late).since
    remove_group_members(group, [early.pk], actor=system_actor)
    reconcile_people([early.pk], actor=system_actor)
    MembershipFactory(group=group, user=early)  # back in the team: waits again, behind `late`
    reconcile_people([early.pk], actor=system_actor)
    deactivate_user(holder, actor=system_actor)

    reconcile_people([holder.pk], actor=system_actor)

    assert Grant.objects.get(user=late, pool=pool).state == "active"
    assert not Grant.objects.filter(user=early, pool=pool, state="active").exists()
    assert SeatWait.objects.get(pool=pool, user=early).since > late_since
