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
