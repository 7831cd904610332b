"""The OpenAPI schema and the browsable docs map every admin endpoint: admins only."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_anonymous_visitors_get_no_schema_or_docs(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert b"/api/v1/rules/" not in response.content


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_a_signed_in_learner_gets_no_schema_or_docs(client, url):
    client.force_login(UserFactory())

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_an_admin_signed_in_to_the_admin_gets_the_schema_and_docs(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_the_schema_maps_the_automation_endpoints_and_their_filters(api_as):
    schema = api_as("ld-admin").get("/api/schema/?format=json").json()

    paths = schema["paths"]
    for path in (
        "/api/v1/people/",
        "/api/v1/teams/",
        "/api/v1/enrollments/",
        "/api/v1/completions/",
        "/api/v1/grants/",
        "/api/v1/job-runs/",
        "/api/v1/job-runs/{id}/",
        "/api/v1/alerts/",
        "/api/v1/alerts/{id}/acknowledge/",
        "/api/v1/learn/courses/{slug}/",
    ):
        assert path in paths
    people_filters = {p["name"] for p in paths["/api/v1/people/"]["get"]["parameters"]}
    assert {"connection", "source", "active", "team", "cursor", "page_size"} <= people_filters
    assert set(paths["/api/v1/job-runs/"]["post"]["responses"]) == {"202", "409"}


def test_an_auditor_reads_the_schema_of_the_runs_and_alerts_they_may_read_but_a_learner_does_not(api_as):
    assert api_as("auditor").get("/api/schema/").status_code == 200
    assert api_as("learner").get("/api/schema/").status_code == 403
