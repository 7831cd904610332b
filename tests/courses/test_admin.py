"""The Django admin: rules previewed before saving, bad input as form errors, nothing half-saved."""

import pytest

from courses.models import EntitlementRule, Grant, LicensePool, Override
from courses.services.pools import create_pool
from tests.factories import CourseFactory, EntitlementRuleFactory, OverrideFactory, UserFactory

pytestmark = pytest.mark.django_db


def rule_form(course, group=None, **extra):
    data = {
        "name": "Engineering python",
        "enabled": "on",
        "conditions": "[]",
        "target_type": "course",
        "course": course.pk,
        "removal_policy": "suspend",
        **extra,
    }
    if group is not None:
        data["groups"] = [str(group.pk)]
    return data


def test_preview_in_the_admin_shows_who_would_gain_and_saves_nothing(admin_client, team):
    group, people = team("Engineering", members=2)
    course = CourseFactory(slug="python")

    response = admin_client.post(
        "/admin/courses/entitlementrule/add/", {**rule_form(course, group), "_preview": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2</strong> active people match" in page and "2</strong> would gain it" in page
    assert "Preview only: nothing was saved" in page
    assert not EntitlementRule.objects.exists() and not Grant.objects.exists()


def test_saving_a_rule_in_the_admin_grants_the_people_already_in_the_group(admin_client, team):
    group, people = team("Engineering", members=2)
    course = CourseFactory(slug="python")

    response = admin_client.post("/admin/courses/entitlementrule/add/", rule_form(course, group), follow=True)

    assert "2 people reconciled: 2 created" in response.content.decode()
    assert Grant.objects.filter(course=course, state="active").count() == 2


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"conditions": '[{"attribute": "shoe_size", "values": ["42"]}]'}, "unknown attribute"),
        ({"conditions": "[]"}, "the selector is empty"),
        ({"conditions": "{not json"}, "Enter a valid JSON"),
    ],
)
def test_a_bad_rule_in_the_admin_is_a_form_error(admin_client, extra, words):
    course = CourseFactory(slug="python")

    response = admin_client.post("/admin/courses/entitlementrule/add/", rule_form(course, **extra))

    assert response.status_code == 200
    assert words in response.content.decode()
    assert not EntitlementRule.objects.exists()


def test_a_rule_without_its_target_is_a_form_error(admin_client, team):
    group, _ = team("Engineering")

    data = rule_form(CourseFactory(slug="python"), group)
    data["course"] = ""

    response = admin_client.post("/admin/courses/entitlementrule/add/", data)

    assert response.status_code == 200
    assert "choose the course the rule grants" in response.content.decode()
    assert not EntitlementRule.objects.exists()


def test_a_seat_count_below_the_seats_in_use_is_a_form_error(admin_client, team, system_actor):
    group, _ = team("Design", members=3)
    pool = create_pool(actor=system_actor, product="Figma", seat_count=5)
    EntitlementRuleFactory(target=pool, groups=[group])

    response = admin_client.post(
        f"/admin/courses/licensepool/{pool.pk}/change/",
        {"product": "Figma", "seat_count": 2, "grace_days": 0},
    )

    assert response.status_code == 200
    assert "3 seats are in use" in response.content.decode()
    assert LicensePool.objects.get(pk=pool.pk).seat_count == 5


def test_an_allow_beside_a_deny_override_is_a_form_error(admin_client, connection, system_actor):

    person = UserFactory(connection=connection)
    course = CourseFactory(slug="python")
    OverrideFactory(user=person, target=course, effect="deny")

    response = admin_client.post(
        "/admin/courses/override/add/",
        {"user": person.pk, "target_type": "course", "course": course.pk, "effect": "allow", "reason": "x"},
    )

    assert response.status_code == 200
    assert "already has a deny override" in response.content.decode()
    assert list(Override.objects.values_list("effect", flat=True)) == ["deny"]


def test_the_pool_list_shows_seats_in_use(admin_client, team, system_actor):
    group, _ = team("Design", members=3)
    EntitlementRuleFactory(
        target=create_pool(actor=system_actor, product="Figma", seat_count=4), groups=[group]
    )

    page = admin_client.get("/admin/courses/licensepool/").content.decode()

    assert "75 %" in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/courses/course/",
        "/admin/courses/learningpath/",
        "/admin/courses/entitlementrule/",
        "/admin/courses/entitlementrule/add/",
        "/admin/courses/roletemplate/",
        "/admin/courses/hrrolemapping/",
        "/admin/courses/grant/",
        "/admin/courses/override/",
        "/admin/courses/override/add/",
        "/admin/courses/enrollment/",
        "/admin/courses/licensepool/add/",
    ],
)
def test_every_admin_page_opens(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/courses/entitlementrule/", "/admin/courses/grant/", "/admin/courses/licensepool/"]
)
def test_admin_lists_cost_the_same_queries_for_one_or_many_rows(admin_client, team, system_actor, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group, _ = team("Engineering", members=2)
    EntitlementRuleFactory(target=CourseFactory(slug="first"), groups=[group])
    EntitlementRuleFactory(
        target=create_pool(actor=system_actor, product="Figma", seat_count=5), groups=[group]
    )
    admin_client.get(url)  # the first request of a session also touches its session index
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    more, _ = team("Sales", members=6)
    for n in range(4):
        EntitlementRuleFactory(target=CourseFactory(slug=f"course-{n}"), groups=[more])
    EntitlementRuleFactory(
        target=create_pool(actor=system_actor, product="Miro", seat_count=5), groups=[more]
    )

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_role_the_hr_matrix_grants_cannot_be_made_explicit_only(admin_client, system_actor):
    from courses.models import RoleTemplate
    from courses.services.roles import add_hr_mapping

    instructor = RoleTemplate.objects.get(slug="instructor")
    add_hr_mapping(actor=system_actor, attribute="department", value="Teaching", role=instructor)

    response = admin_client.post(
        f"/admin/courses/roletemplate/{instructor.pk}/change/",
        {
            "slug": "instructor",
            "name": "Instructor",
            "capabilities": ["learn", "teach"],
            "requires_explicit_rule": "on",
        },
    )

    assert response.status_code == 200
    assert "the HR matrix grants Instructor" in response.content.decode()
    assert not RoleTemplate.objects.get(pk=instructor.pk).requires_explicit_rule
