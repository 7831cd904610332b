"""The admin API refuses text the database cannot store and absurdly nested JSON with a DRF 400, never
a 500, and stores nothing."""

import pytest
from rest_framework.test import APIClient

from courses.models import Course, EntitlementRule
from lms_identity.models import User
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    admin = User.objects.create_superuser("lnd-admin", "lnd@example.com", "x")
    client = APIClient()
    client.force_authenticate(admin)
    return client


def post_raw(api, url, body):
    return api.generic("POST", url, body, content_type="application/json")


def rule_body(condition_value):
    group = GroupFactory()
    course = Course.objects.create(slug="python", title="Python", published=True)
    return (
        f'{{"name": "Sales", "groups": ["{group.pk}"], "target_type": "course", "target_id": {course.pk}, '
        f'"conditions": [{{"attribute": "department", "values": ["{condition_value}"]}}]}}'
    )


def test_a_rule_whose_condition_holds_a_lone_surrogate_is_400_and_not_saved(api):
    response = post_raw(api, "/api/v1/rules/", rule_body("Sales \\ud800"))

    assert response.status_code == 400
    assert response.json() == {
        "conditions[0].values[0]": ["conditions[0].values[0] contains a character that cannot be stored"]
    }
    assert not EntitlementRule.objects.exists()


def test_the_same_rule_with_storable_text_is_created(api):
    response = post_raw(api, "/api/v1/rules/", rule_body("Ventes \\u00e9"))

    assert response.status_code == 201
    assert EntitlementRule.objects.get().conditions[0]["values"] == ["Ventes \u00e9"]


def test_a_body_with_a_lone_surrogate_in_a_member_name_is_400(api):
    response = post_raw(api, "/api/v1/courses/", '{"slug": "a", "title": "A", "\\udfff": 1}')

    assert response.status_code == 400
    assert not Course.objects.exists()


@pytest.mark.parametrize("depth", [33, 500, 5000])
def test_a_deeply_nested_body_is_400(api, depth):
    body = '{"slug": "a", "title": "A", "description": ' + "[" * depth + "]" * depth + "}"

    response = post_raw(api, "/api/v1/courses/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body nests deeper than 32 levels"}
    assert not Course.objects.exists()
