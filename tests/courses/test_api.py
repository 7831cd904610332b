"""The admin API: token-authenticated automation over courses, paths, rules, pools and grants."""

import pytest
from rest_framework.test import APIClient

from courses.models import EntitlementRule, Grant, LicensePool, RoleTemplate
from lms_identity.models import User
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor
from tests.factories import CourseFactory, EntitlementRuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_of_someone_who_lost_admin_access_cannot_use_the_admin_api(connection):
    learner = UserFactory(connection=connection, is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(learner, actor=Actor.system('tests'))[1]}")
    User.objects.filter(pk=learner.pk).update(is_staff=False)

    assert client.get("/api/v1/rules/").status_code == 403
    assert APIClient().get("/api/v1/rules/").status_code == 401


def test_create_a_course_and_a_path_of_ordered_courses(api):
    api.post("/api/v1/courses/", {"slug": "basics", "title": "Basics", "published": True}, format="json")
    api.post("/api/v1/courses/", {"slug": "advanced", "title": "Advanced", "published": True}, format="json")

    response = api.post(
        "/api/v1/paths/",
        {"slug": "backend", "title": "Backend", "published": True, "courses": ["advanced", "basics"]},
        format="json",
    )

    assert response.status_code == 201
    assert api.get("/api/v1/paths/backend/").json()["courses"] == ["advanced", "basics"]


def test_a_rule_created_by_api_grants_people_already_in_the_group(api, team):
    group, people = team("Engineering", members=2)
    course = CourseFactory(slug="python")

    response = api.post(
        "/api/v1/rules/",
        {"name": "Eng", "groups": [str(group.pk)], "target_type": "course", "target_id": course.pk},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["applied"]["created"] == 2
    grants = api.get(f"/api/v1/people/{people[0].pk}/grants/").json()["results"]
    assert [(g["key"], g["origin"], g["state"], g["rule"]) for g in grants] == [
        (f"course:{course.pk}", "rule", "active", "Eng")
    ]


def test_preview_says_who_would_gain_and_saves_nothing(api, team):
    group, people = team("Engineering", members=3)
    course = CourseFactory(slug="python")

    response = api.post(
        "/api/v1/rules/preview/",
        {"name": "Eng", "groups": [str(group.pk)], "target_type": "course", "target_id": course.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["matches"] == 3
    assert response.json()["gain"]["count"] == 3
    assert not EntitlementRule.objects.exists() and not Grant.objects.exists()


def test_preview_of_a_change_says_who_would_lose_what(api, team):
    eng, eng_people = team("Engineering", members=2)
    sales, _ = team("Sales", members=1)
    rule = EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[eng], removal_policy="revoke")

    response = api.post(f"/api/v1/rules/{rule.pk}/preview/", {"groups": [str(sales.pk)]}, format="json")

    body = response.json()
    assert (body["gain"]["count"], body["lose"]["count"], body["lose"]["becomes"]) == (1, 2, "revoked")
    assert Grant.objects.filter(state="active").count() == 2


def test_disabling_a_rule_by_api_applies_its_removal_policy(api, team):
    group, people = team("Engineering", members=2)
    rule = EntitlementRuleFactory(
        target=CourseFactory(slug="python"), groups=[group], removal_policy="revoke"
    )

    response = api.patch(f"/api/v1/rules/{rule.pk}/", {"enabled": False}, format="json")

    assert response.json()["changed"] == ["enabled"]
    assert set(Grant.objects.values_list("state", flat=True)) == {"revoked"}


def test_pool_usage_shows_seats_and_holders(api, team):
    group, people = team("Design", members=3)
    pool_id = api.post("/api/v1/license-pools/", {"product": "Figma", "seat_count": 4}, format="json").json()[
        "id"
    ]
    EntitlementRuleFactory(target=LicensePool.objects.get(pk=pool_id), groups=[group])

    usage = api.get(f"/api/v1/license-pools/{pool_id}/usage/").json()

    assert (usage["seats_in_use"], usage["utilization_percent"], len(usage["holders"])) == (3, 75, 3)


def test_the_openapi_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert schema.status_code == 200
    assert "/api/v1/rules/preview/" in schema.json()["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    # Served from our own static files: this network reaches no CDN.
    assert b"cdn.jsdelivr.net" not in docs.content and b"drf_spectacular_sidecar" in docs.content


# Bad input: a clear 400 naming the field, nothing saved, never a 500.


def rule_body(**overrides):
    return {"name": "r", "groups": [], "target_type": "course", "target_id": 0, **overrides}


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"groups": ["7b0e8f8e-0000-4000-8000-000000000000"]}, "groups", "unknown group"),
        ({"groups": ["not-a-uuid"]}, "groups", "is not a group id"),
        ({"conditions": [{"attribute": "shoe_size", "values": ["42"]}]}, "conditions", "unknown attribute"),
        ({"conditions": [{"attribute": "department"}]}, "conditions", "each condition must be"),
        ({"conditions": [{"attribute": "department", "values": []}]}, "conditions", "needs a list of 1"),
        ({"conditions": "department=Eng"}, "conditions", "must be a list"),
        ({}, "groups", "the selector is empty"),
        (
            {"target_id": 999999, "conditions": [{"attribute": "title", "values": ["x"]}]},
            "target_id",
            "no course",
        ),
        ({"removal_policy": "explode"}, "removal_policy", ""),
        ({"target_id": 10**20, "conditions": [{"attribute": "title", "values": ["x"]}]}, "target_id", ""),
        ({"hire_within_days": 10**12}, "hire_within_days", ""),
    ],
)
def test_a_bad_rule_is_refused_with_the_field_named(api, body, field, words):
    course = CourseFactory(slug="python")
    data = rule_body(target_id=course.pk, **body) if "target_id" not in body else rule_body(**body)

    response = api.post("/api/v1/rules/", data, format="json")

    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert not EntitlementRule.objects.exists()


def test_a_seat_count_below_the_seats_in_use_is_a_400_and_nothing_changes(api, team):
    group, _ = team("Design", members=3)
    pool_id = api.post("/api/v1/license-pools/", {"product": "Figma", "seat_count": 5}, format="json").json()[
        "id"
    ]
    EntitlementRuleFactory(target=LicensePool.objects.get(pk=pool_id), groups=[group])

    response = api.patch(f"/api/v1/license-pools/{pool_id}/", {"seat_count": 2}, format="json")

    assert response.status_code == 400
    assert response.json() == {"seat_count": ["3 seats are in use; the seat count cannot go below that"]}
    assert LicensePool.objects.get(pk=pool_id).seat_count == 5


def test_an_allow_override_beside_a_deny_for_the_same_target_is_refused(api, connection):
    person = UserFactory(connection=connection)
    course = CourseFactory(slug="python")
    body = {"user": str(person.pk), "target_type": "course", "target_id": course.pk}
    assert api.post("/api/v1/overrides/", {**body, "effect": "deny"}, format="json").status_code == 201

    response = api.post("/api/v1/overrides/", {**body, "effect": "allow"}, format="json")

    assert response.status_code == 400
    assert (
        "already has a deny override for Python; remove it before adding an allow"
        in response.json()["effect"][0]
    )
    assert [o["effect"] for o in api.get("/api/v1/overrides/").json()] == ["deny"]


def test_an_ld_admin_rule_is_the_only_way_to_the_ld_admin_role(api, team):
    group, (person,) = team("L&D", members=1)
    ld_admin = RoleTemplate.objects.get(slug="ld-admin")

    response = api.post(
        "/api/v1/rules/",
        {"name": "L&D", "groups": [str(group.pk)], "target_type": "role", "target_id": ld_admin.pk},
        format="json",
    )

    assert response.status_code == 201
    assert Grant.objects.get(user=person).key == f"role:{ld_admin.pk}"
    person.refresh_from_db()
    assert not person.is_superuser


def test_a_seat_count_too_large_for_the_database_is_a_400(api):
    response = api.post("/api/v1/license-pools/", {"product": "Figma", "seat_count": 10**20}, format="json")

    assert response.status_code == 400
    assert "seat_count" in response.json()
    assert not LicensePool.objects.exists()


def test_malformed_ids_are_404_or_400_not_500(api):
    assert api.get("/api/v1/rules/abc/").status_code == 404
    assert api.get("/api/v1/people/not-a-uuid/grants/").status_code == 404
    assert api.get("/api/v1/overrides/?user=zzz").status_code == 400


def test_renaming_a_pool_to_another_pools_product_is_a_400_and_changes_nothing(api):
    api.post("/api/v1/license-pools/", {"product": "Figma", "seat_count": 4}, format="json")
    miro = api.post("/api/v1/license-pools/", {"product": "Miro", "seat_count": 4}, format="json").json()

    response = api.patch(f"/api/v1/license-pools/{miro['id']}/", {"product": "Figma"}, format="json")

    assert response.status_code == 400
    assert "product" in str(response.json())
    assert LicensePool.objects.get(pk=miro["id"]).product == "Miro"
