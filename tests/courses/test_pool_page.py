"""The license pool pages: a utilization bar, who holds the seats and who waits for one."""

import pytest

from courses.reconcile import reconcile_people
from courses.services.pools import create_pool
from tests.factories import EntitlementRuleFactory

pytestmark = pytest.mark.django_db


def test_the_pool_page_lists_holders_and_the_people_waiting(admin_client, team, system_actor):

    group, people = team("Designers", members=3)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=2)
    EntitlementRuleFactory(target=pool, groups=[group])
    reconcile_people([p.pk for p in people], actor=system_actor)

    page = admin_client.get(f"/admin/courses/licensepool/{pool.pk}/change/").content.decode()

    assert 'id="pool-held">2 / 2<' in page
    assert "Holders (2)" in page and "Waiting for a seat (1)" in page
    holders_html = page.split('id="pool-holders"')[1].split('id="pool-waiting"')[0]
    waiting_html = page.split('id="pool-waiting"')[1]
    assert sum(str(p) in holders_html for p in people) == 2
    assert sum(str(p) in waiting_html for p in people) == 1


def test_the_pool_list_shows_seats_in_use_and_a_full_bar(admin_client, team, system_actor):

    group, people = team("Designers", members=2)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=2)
    EntitlementRuleFactory(target=pool, groups=[group])
    reconcile_people([p.pk for p in people], actor=system_actor)

    page = admin_client.get("/admin/courses/licensepool/").content.decode()

    assert 'class="console-bar full"' in page and "100 %" in page


def test_the_waiting_list_is_first_come_first_served(admin_client, full_pool_with_a_queue):
    pool, _, _, early, late = full_pool_with_a_queue

    page = admin_client.get(f"/admin/courses/licensepool/{pool.pk}/change/").content.decode()

    waiting_html = page.split('id="pool-waiting"')[1]
    assert "Waiting since" in waiting_html
    assert waiting_html.index("Early Waiter") < waiting_html.index("Late Waiter")
