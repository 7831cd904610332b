"""The rule editor: conditions from attribute rows (not JSON), only the chosen target's picker, and a live
preview endpoint that validates with the same form and saves nothing."""

import pytest

from courses.models import EntitlementRule, Grant
from lms_identity.models import User
from tests.factories import CourseFactory, EntitlementRuleFactory

pytestmark = pytest.mark.django_db

PREVIEW = "/admin/courses/entitlementrule/preview/"


def rule_rows(course, **extra):
    return {
        "name": "Researchers: methods",
        "enabled": "on",
        "target_type": "course",
        "course": course.pk,
        "removal_policy": "suspend",
        "condition_1_attribute": "department",
        "condition_1_values": "Research, R&D",
        **extra,
    }


def test_a_rule_saved_from_condition_rows_stores_them_and_grants(admin_client, team):
    _, (person,) = team("Anyone", members=1)
    User.objects.filter(pk=person.pk).update(department="R&D")
    course = CourseFactory(slug="methods")

    admin_client.post("/admin/courses/entitlementrule/add/", rule_rows(course))

    rule = EntitlementRule.objects.get()
    assert rule.conditions == [{"attribute": "department", "values": ["Research", "R&D"]}]
    assert Grant.objects.get(user=person, course=course).state == "active"


def test_an_existing_rules_conditions_fill_the_rows(admin_client):
    rule = EntitlementRuleFactory(
        target=CourseFactory(slug="methods"),
        conditions=[{"attribute": "title", "values": ["Analyst", "Lead"]}],
    )

    page = admin_client.get(f"/admin/courses/entitlementrule/{rule.pk}/change/").content.decode()

    assert '<option value="title" selected>' in page
    assert 'value="Analyst, Lead"' in page


def test_only_the_chosen_targets_picker_is_shown(admin_client):
    page = admin_client.get("/admin/courses/entitlementrule/add/").content.decode()

    for kind, field in (("course", "course"), ("path", "path"), ("role", "role"), ("seat", "pool")):
        assert f'x-show="target_type == &#x27;{kind}&#x27;"' in page, field


def test_the_live_preview_counts_and_names_who_would_gain_and_saves_nothing(admin_client, team):
    _, people = team("Anyone", members=2)
    User.objects.filter(pk__in=[p.pk for p in people]).update(department="Research")
    course = CourseFactory(slug="methods")

    answer = admin_client.post(PREVIEW, rule_rows(course)).json()

    assert answer["error"] == ""
    assert "<strong>2</strong> active people match" in answer["html"]
    assert "<strong>2</strong> would gain it" in answer["html"] and str(people[0]) in answer["html"]
    assert not EntitlementRule.objects.exists() and not Grant.objects.exists()


def test_the_live_preview_of_an_empty_rule_says_what_is_missing(admin_client):
    answer = admin_client.post(
        PREVIEW, {"name": "x", "target_type": "course", "removal_policy": "suspend"}
    ).json()

    assert answer["html"] == ""
    assert "course" in answer["error"] or "selector" in answer["error"]


def test_the_preview_endpoint_needs_a_post(admin_client):
    assert admin_client.get(PREVIEW).status_code == 405
