"""`/` sends each visitor where they start; the favicon exists; the admin's "View site" leads there."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in():
    assert Client().get("/")["Location"] == "/login/"


def test_learners_are_sent_to_my_learning(connection):
    client = Client()
    client.force_login(UserFactory(connection=connection))

    assert client.get("/")["Location"] == "/learn/"


def test_staff_are_sent_to_the_admin(admin_client):
    assert admin_client.get("/")["Location"] == "/admin/"


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_the_admin_links_view_site_and_uses_local_assets_only(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert 'href="/"' in page
    assert "https://" not in page.split("<body")[0]  # no CDN in <head>: the network may be closed
