"""The person page's grants and seats: each target by its title, where it came from (the rule by name, an
override, a license), its state; the page's queries do not grow with the number of grants."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from courses.reconcile import reconcile_people
from courses.services.overrides import set_override
from courses.services.pools import create_pool
from lms_identity.models import User
from tests.factories import CourseFactory, EntitlementRuleFactory

pytestmark = pytest.mark.django_db


def person_page(client, person):
    return client.get(f"/admin/lms_identity/user/{person.pk}/change/").content.decode()


def test_grants_show_target_titles_and_the_rule_by_name(admin_client, team, system_actor):
    group, (person,) = team("Engineering", members=1)
    EntitlementRuleFactory(
        target=CourseFactory(slug="secure-coding"), groups=[group], name="Engineers: secure coding"
    )
    reconcile_people([person.pk], actor=system_actor)

    page = person_page(admin_client, person)

    assert "Secure Coding" in page and "course:" not in page
    assert "Rule “Engineers: secure coding”" in page
    assert "Grants (1)" in page


def test_an_override_and_a_seat_say_where_they_came_from(admin_client, team, system_actor):
    group, (person,) = team("Engineering", members=1)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=3)
    EntitlementRuleFactory(target=pool, groups=[group])
    set_override(
        person,
        actor=system_actor,
        target_type="course",
        target=CourseFactory(slug="negotiation"),
        effect="allow",
        expires_at=None,
        reason="mentor",
    )
    reconcile_people([person.pk], actor=system_actor)

    page = person_page(admin_client, person)

    assert "Manual override" in page and "Negotiation" in page
    assert "License seats (1)" in page and "Figma" in page


def _count(client, person):
    with CaptureQueriesContext(db) as ctx:
        person_page(client, person)
    return len(ctx.captured_queries)


def test_the_person_page_queries_do_not_grow_with_grants(admin_client, team, system_actor):
    group, (few, many) = team("Engineering", members=2)
    for n in range(5):
        EntitlementRuleFactory(
            target=CourseFactory(slug=f"course-{n}"),
            conditions=[{"attribute": "department", "values": ["R&D"]}],
        )
    User.objects.filter(pk=many.pk).update(department="R&D")
    reconcile_people([few.pk, many.pk], actor=system_actor)
    _count(admin_client, few)

    assert _count(admin_client, few) == _count(admin_client, many)
