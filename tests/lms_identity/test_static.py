import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_stylesheet_is_served_by_the_application_itself(client):
    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert b"body" in b"".join(response.streaming_content)


def test_an_unknown_static_file_is_404(client):
    assert client.get("/static/admin/css/nope.css").status_code == 404
