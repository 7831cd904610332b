"""Random query parameters on every list of the automation API, and random bodies to start a run: the API
answers 2xx or 4xx, never 5xx, and a refused start queues nothing."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioning.models import JobRun

from .test_api_properties import json_values

pytestmark = pytest.mark.django_db

LISTS = {
    "/api/v1/people/": ["connection", "source", "active", "team"],
    "/api/v1/teams/": ["connection", "source"],
    "/api/v1/enrollments/": ["course", "team", "progress", "since", "until"],
    "/api/v1/completions/": ["course", "team", "since", "until"],
    "/api/v1/grants/": ["course", "team", "state", "since", "until"],
    "/api/v1/job-runs/": ["kind", "status", "dry_run"],
    "/api/v1/alerts/": ["state"],
}
PAGING = ["cursor", "page_size"]
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["true", "false", "scim", "0001-01-01", "9999-12-31", "2026-02-30", "-1", "1e999"]),
    st.uuids().map(str),
    st.dates().map(str),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    url=st.sampled_from(sorted(LISTS)),
    data=st.data(),
)
def test_random_filters_never_get_a_5xx(api, url, data):
    names = data.draw(st.lists(st.sampled_from(LISTS[url] + PAGING), max_size=4, unique=True))
    query = {name: data.draw(values) for name in names}

    response = api.get(f"{url}?{urlencode(query)}")

    assert response.status_code < 500, (url, query, response.content[:300])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(["orphaned_accounts", "unused_seats", "recompute_rule", "x"])
            | json_values,
            "dry_run": json_values,
            "confirm_share": st.floats(allow_nan=False, allow_infinity=False) | json_values,
        },
    )
)
def test_random_start_bodies_never_get_a_5xx_and_a_refusal_queues_nothing(api, body):
    JobRun.objects.all().delete()  # each example starts with nothing running

    response = api.post("/api/v1/job-runs/", body, format="json")

    assert response.status_code in (202, 400), (body, response.content[:300])
    assert JobRun.objects.exists() == (response.status_code == 202)


@pytest.mark.parametrize("raw", ['{"kind": "orphaned_accounts", "confirm_share": NaN}', '{"kind": Infinity}'])
def test_json_with_nan_or_infinity_is_a_400(api, raw):
    response = api.post("/api/v1/job-runs/", raw, content_type="application/json")

    assert response.status_code == 400
    assert not JobRun.objects.exists()
