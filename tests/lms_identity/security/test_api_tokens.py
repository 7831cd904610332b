import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from lms_identity.models import ApiToken, AuditEvent, User
from lms_identity.services.api_tokens import issue_api_token, revoke_api_token
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import digest_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lnd_admin(role_holder):
    return role_holder("ld-admin", user_name="api-admin@example.com")


def _api(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_only_the_digest_of_an_issued_token_is_stored(lnd_admin):
    token, raw = issue_api_token(lnd_admin, actor=Actor.system("tests"), label="ci")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == digest_token(raw)
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert raw not in str(list(ApiToken.objects.values()))
    assert raw not in str(list(AuditEvent.objects.values()))
    assert _api(raw).get("/api/v1/rules/").status_code == 200


def test_a_revoked_token_is_refused(lnd_admin):
    token, raw = issue_api_token(lnd_admin, actor=Actor.system("tests"))

    revoke_api_token(token, actor=Actor.system("tests"))

    assert _api(raw).get("/api/v1/rules/").status_code == 401


def test_a_deactivated_persons_token_is_refused(lnd_admin):
    _, raw = issue_api_token(lnd_admin, actor=Actor.system("tests"))

    User.objects.filter(pk=lnd_admin.pk).update(is_active=False)

    assert _api(raw).get("/api/v1/rules/").status_code == 401


def test_an_unknown_or_malformed_token_is_refused_without_a_500():
    assert _api("lms_nope").get("/api/v1/rules/").status_code == 401
    assert _api("a b").get("/api/v1/rules/").status_code == 401
    assert _api("x" * 500).get("/api/v1/rules/").status_code == 401


def test_the_command_prints_a_working_token_alone_on_its_last_line(lnd_admin):
    out = io.StringIO()

    call_command("api_token", "API-ADMIN@example.com", label="ci", stdout=out, stderr=io.StringIO())

    raw = out.getvalue().strip().splitlines()[-1]
    assert ApiToken.objects.get().digest == digest_token(raw)
    assert ApiToken.objects.get().label == "ci"
    assert _api(raw).get("/api/v1/rules/").status_code == 200


def test_the_command_refuses_a_person_without_admin_access():
    UserFactory(user_name="learner@example.com")

    with pytest.raises(CommandError, match="no admin access"):
        call_command("api_token", "learner@example.com", stdout=io.StringIO(), stderr=io.StringIO())

    assert not ApiToken.objects.exists()


def test_the_admin_shows_a_new_token_once_on_its_own_page_and_never_in_a_cookie(admin_client, lnd_admin):
    response = admin_client.post(
        "/admin/lms_identity/apitoken/add/", {"user": lnd_admin.pk, "label": "reporting"}
    )

    assert response.status_code == 200
    raw = response.context["key"]
    assert ApiToken.objects.get().digest == digest_token(raw)
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert all(raw not in morsel.value for morsel in response.cookies.values())
    assert all(raw not in morsel.value for morsel in admin_client.cookies.values())
    assert raw not in admin_client.get("/admin/lms_identity/apitoken/").content.decode()


def test_the_admin_refuses_a_token_for_a_person_without_admin_access(admin_client):
    learner = UserFactory()

    response = admin_client.post("/admin/lms_identity/apitoken/add/", {"user": learner.pk, "label": "x"})

    assert response.status_code == 200
    assert "no admin access" in response.content.decode()
    assert not ApiToken.objects.exists()
