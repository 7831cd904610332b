"""Random rule and override bodies: the API answers 2xx or 4xx, never 5xx, and a refusal saves nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import Course, EntitlementRule, Override

pytestmark = pytest.mark.django_db

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
condition = st.fixed_dictionaries(
    {
        "attribute": st.sampled_from(["department", "title", "custom_attributes.site", "shoe", "", "a\x00b"])
        | st.text(max_size=10),
        "values": st.lists(st.text(max_size=10), max_size=3) | json_values,
    }
)
rule_bodies = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=300) | json_values,
        "enabled": json_values,
        "groups": st.lists(st.uuids().map(str) | st.text(max_size=10), max_size=3) | json_values,
        "conditions": st.lists(condition, max_size=3) | json_values,
        "hire_within_days": json_values,
        "removal_policy": st.sampled_from(["keep", "suspend", "revoke", "x"]) | json_values,
        "target_type": st.sampled_from(["course", "path", "role", "seat", "x"]) | json_values,
        "target_id": st.integers(min_value=-5, max_value=2**40) | json_values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=rule_bodies)
def test_random_rule_bodies_never_get_a_5xx(api, body):
    Course.objects.get_or_create(slug="python", defaults={"title": "Python", "published": True})
    rules_before = EntitlementRule.objects.count()

    created = api.post("/api/v1/rules/", body, format="json")
    preview = api.post("/api/v1/rules/preview/", body, format="json")

    assert created.status_code < 500 and preview.status_code < 500
    if created.status_code >= 400:
        assert EntitlementRule.objects.count() == rules_before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "user": st.uuids().map(str) | json_values,
            "target_type": st.sampled_from(["course", "seat", "x"]) | json_values,
            "target_id": st.integers(min_value=-5, max_value=2**40) | json_values,
            "effect": st.sampled_from(["allow", "deny", "x"]) | json_values,
            "expires_at": st.sampled_from(["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "soon"])
            | json_values,
            "reason": st.text(max_size=300) | json_values,
        },
    )
)
def test_random_override_bodies_never_get_a_5xx(api, body):
    before = Override.objects.count()

    response = api.post("/api/v1/overrides/", body, format="json")

    assert response.status_code < 500
    if response.status_code >= 400:
        assert Override.objects.count() == before
