"""Break-glass: password sign-in only for the one emergency account, only inside a window a second L&D
admin (signed in through SSO) approved; single use, audited, alerted, ended when the window closes."""

import io
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import formats, timezone
from django_celery_beat.models import PeriodicTask

from lms_identity.errors import BreakGlassRefused
from lms_identity.models import AuditEvent, BreakGlassRequest, User, UserSession
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import (
    approve_break_glass,
    create_break_glass_account,
    request_break_glass,
)
from lms_identity.sso import session_keys
from provisioning.models import Alert
from provisioning.services.outbox_dispatch import drain_outbox
from provisioning.tasks import close_break_glass_windows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-break-glass-password"
TESTS = Actor.system("tests")


@pytest.fixture
def account():
    return create_break_glass_account("break-glass", "owner@example.com", PASSWORD, actor=TESTS)


@pytest.fixture
def two_admins(role_holder):
    return role_holder("ld-admin", user_name="ann@example.com"), role_holder(
        "ld-admin", user_name="bob@example.com"
    )


def approved(two_admins, minutes=30):
    ann, bob = two_admins
    filed = request_break_glass(
        requester=ann, reason="IdP outage", minutes=minutes, actor=Actor.of_admin(ann)
    )
    return approve_break_glass(filed, approver=bob, signed_in_via_sso=True, actor=Actor.of_admin(bob))


def sign_in(user_name, password):
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": user_name, "password": password})
    return response, client


def test_a_password_sign_in_of_a_normal_account_is_refused():
    User.objects.create_superuser("root", "root@example.com", "correct horse")

    response, client = sign_in("root", "correct horse")

    assert response.status_code == 403
    assert "Password sign-in is off" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_break_glass_without_approval_is_refused_with_how_to_ask_audited_and_alerted(account):
    response, client = sign_in("break-glass", PASSWORD)
    drain_outbox()

    assert response.status_code == 403
    assert "How to ask" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action="break_glass.refused", target_id=str(account.pk)).exists()
    assert Alert.objects.filter(key="break_glass.refused").exists()


def test_break_glass_with_approval_works_once_within_its_window_and_raises_an_alert(account, two_admins):
    request = approved(two_admins)

    first, client = sign_in("break-glass", PASSWORD)
    second, _ = sign_in("break-glass", PASSWORD)
    drain_outbox()

    assert first.status_code == 302 and client.get("/admin/").status_code == 200
    assert second.status_code == 403
    request.refresh_from_db()
    assert request.used_at is not None
    assert AuditEvent.objects.filter(action="break_glass.used", target_id=str(account.pk)).count() == 1
    assert Alert.objects.filter(key=f"break_glass.used.{request.pk}").exists()


def test_an_approval_whose_window_passed_is_refused(account, two_admins):
    request = approved(two_admins)
    BreakGlassRequest.objects.filter(pk=request.pk).update(
        window_ends_at=timezone.now() - timedelta(seconds=1)
    )

    response, _ = sign_in("break-glass", PASSWORD)

    assert response.status_code == 403


def test_the_session_ends_when_the_window_closes(account, two_admins):
    approved(two_admins)
    _, client = sign_in("break-glass", PASSWORD)
    session = client.session
    session[session_keys.BREAK_GLASS_UNTIL] = time.time() - 1
    session.save()

    response = client.get("/admin/")

    assert response.status_code == 302
    assert not UserSession.objects.filter(user=account).exists()
    event = AuditEvent.objects.get(action="session.ended", target_id=str(account.pk))
    assert event.context["cause"] == "break_glass_closed"


def test_the_same_person_cannot_approve_their_own_request(two_admins):
    ann, _ = two_admins
    filed = request_break_glass(requester=ann, reason="IdP outage", minutes=30, actor=TESTS)

    with pytest.raises(BreakGlassRefused) as refused:
        approve_break_glass(filed, approver=ann, signed_in_via_sso=True, actor=TESTS)

    assert refused.value.reason == "own_request"
    filed.refresh_from_db()
    assert filed.approved_at is None


def test_an_approval_needs_an_sso_sign_in_and_an_ld_admin(two_admins, role_holder):
    ann, bob = two_admins
    filed = request_break_glass(requester=ann, reason="IdP outage", minutes=30, actor=TESTS)

    with pytest.raises(BreakGlassRefused) as without_sso:
        approve_break_glass(filed, approver=bob, signed_in_via_sso=False, actor=TESTS)
    with pytest.raises(BreakGlassRefused) as auditor:
        approve_break_glass(filed, approver=role_holder("auditor"), signed_in_via_sso=True, actor=TESTS)

    assert (without_sso.value.reason, auditor.value.reason) == ("not_sso", "not_allowed")


def test_a_window_longer_than_allowed_is_refused(two_admins, settings):
    settings.BREAK_GLASS_MAX_MINUTES = 60

    with pytest.raises(BreakGlassRefused):
        request_break_glass(requester=two_admins[0], reason="x", minutes=61, actor=TESTS)


def test_approving_in_the_admin_refuses_the_requester_and_accepts_a_second_admin(two_admins):
    ann, bob = two_admins
    filed = request_break_glass(requester=ann, reason="IdP outage", minutes=30, actor=TESTS)

    def admin_as(person):
        client = Client()
        client.force_login(person)
        session = client.session
        session[session_keys.CONNECTION] = 1  # as an SSO sign-in leaves it
        session.save()
        return client

    action = {"action": "approve", "_selected_action": [filed.pk]}
    admin_as(ann).post("/admin/lms_identity/breakglassrequest/", action)
    filed.refresh_from_db()
    assert filed.approved_at is None

    admin_as(bob).post("/admin/lms_identity/breakglassrequest/", action)
    filed.refresh_from_db()
    assert filed.approved_by == bob


def test_the_command_creates_one_break_glass_account(monkeypatch):
    monkeypatch.setenv("BREAK_GLASS_PASSWORD", PASSWORD)
    out = io.StringIO()

    call_command("create_break_glass", "break-glass", stdout=out)

    assert User.objects.get(user_name="break-glass").is_superuser
    assert PASSWORD not in out.getvalue()
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_break_glass", "another", stdout=out)


def pass_window(request):
    passed = timezone.now() - timedelta(seconds=1)
    BreakGlassRequest.objects.filter(pk=request.pk).update(window_ends_at=passed)


def test_the_beat_job_ends_the_session_of_a_passed_window_before_its_browser_comes_back(account, two_admins):
    request = approved(two_admins)
    _, client = sign_in("break-glass", PASSWORD)
    key = client.session.session_key
    pass_window(request)

    summary = close_break_glass_windows()

    assert summary == {"windows_closed": 1, "sessions_ended": 1}
    assert not UserSession.objects.filter(user=account).exists()
    assert not Session.objects.filter(session_key=key).exists()
    ended = AuditEvent.objects.get(action="session.ended", target_id=str(account.pk))
    assert (ended.context["cause"], ended.actor_label) == ("break_glass_closed", "break-glass-windows")
    closed = AuditEvent.objects.get(action="break_glass.closed", target_id=str(request.pk))
    assert closed.context["used"] is True
    request.refresh_from_db()
    assert request.closed_at is not None and request.status == "closed (used)"
    assert client.get("/admin/").status_code == 302


def test_the_beat_job_leaves_a_session_whose_window_is_still_open(account, two_admins):
    approved(two_admins)
    _, client = sign_in("break-glass", PASSWORD)

    summary = close_break_glass_windows()

    assert summary == {"windows_closed": 0, "sessions_ended": 0}
    assert client.get("/admin/").status_code == 200
    assert not AuditEvent.objects.filter(action__in=["session.ended", "break_glass.closed"]).exists()


def test_closing_twice_writes_nothing_the_second_time(account, two_admins):
    request = approved(two_admins)
    sign_in("break-glass", PASSWORD)
    pass_window(request)
    close_break_glass_windows()
    events = AuditEvent.objects.count()

    summary = close_break_glass_windows()

    assert summary == {"windows_closed": 0, "sessions_ended": 0}
    assert AuditEvent.objects.count() == events


def test_a_new_window_keeps_its_own_session_while_the_passed_ones_session_ends(account, two_admins):
    first = approved(two_admins)
    _, old_browser = sign_in("break-glass", PASSWORD)
    pass_window(first)
    approved(two_admins)
    _, new_browser = sign_in("break-glass", PASSWORD)

    summary = close_break_glass_windows()

    assert summary == {"windows_closed": 1, "sessions_ended": 1}
    assert UserSession.objects.filter(user=account).get().session_key == new_browser.session.session_key
    assert new_browser.get("/admin/").status_code == 200
    assert old_browser.get("/admin/").status_code == 302


def test_a_closed_approval_is_never_usable_again_even_with_its_window_moved_back(account, two_admins):
    request = approved(two_admins)
    pass_window(request)
    close_break_glass_windows()
    BreakGlassRequest.objects.filter(pk=request.pk).update(window_ends_at=timezone.now() + timedelta(hours=1))

    response, _ = sign_in("break-glass", PASSWORD)

    assert response.status_code == 403
    request.refresh_from_db()
    assert (request.used_at, request.status) == (None, "expired unused")


def test_the_window_closing_job_is_on_the_beat_schedule_every_minute():
    task = PeriodicTask.objects.get(task="provisioning.close_break_glass_windows")

    assert task.enabled and (task.interval.every, task.interval.period) == (60, "seconds")


def signed_in_learner(client):
    learner = UserFactory()
    client.force_login(learner)
    return learner, client.session.session_key


def test_a_break_glass_sign_in_over_another_persons_session_ends_it_through_the_service(
    client, account, two_admins
):
    approved(two_admins)
    learner, old_key = signed_in_learner(client)

    response = client.post("/admin/login/?next=/admin/", {"username": "break-glass", "password": PASSWORD})

    assert response.status_code == 302
    assert not UserSession.objects.filter(session_key=old_key).exists()
    assert not Session.objects.filter(session_key=old_key).exists()
    event = AuditEvent.objects.get(action="session.ended", target_id=str(learner.pk))
    assert (event.context["cause"], event.actor_id) == ("replaced", str(learner.pk))
    assert UserSession.objects.get().user == account


def test_a_refused_break_glass_sign_in_leaves_the_other_persons_session_alone(client, account):
    learner, old_key = signed_in_learner(client)

    response = client.post("/admin/login/?next=/admin/", {"username": "break-glass", "password": PASSWORD})

    assert response.status_code == 403
    assert UserSession.objects.get().session_key == old_key
    assert not AuditEvent.objects.filter(action="session.ended").exists()
    assert client.get("/learn/").status_code == 200


def test_a_break_glass_sign_in_in_a_new_window_over_the_accounts_old_session_starts_afresh(
    account, two_admins
):
    approved(two_admins)
    _, browser = sign_in("break-glass", PASSWORD)
    old_key = browser.session.session_key
    approved(two_admins)

    response = browser.post("/admin/login/?next=/admin/", {"username": "break-glass", "password": PASSWORD})
    close_break_glass_windows()

    assert response.status_code == 302
    new = UserSession.objects.get(user=account)
    assert new.session_key != old_key and browser.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(action="session.ended", target_id=str(account.pk))
    assert event.context["cause"] == "replaced"


def test_the_requests_page_shows_a_closed_window_and_when_it_closed(admin_client, account, two_admins):
    request = approved(two_admins)
    pass_window(request)
    close_break_glass_windows()

    listing = admin_client.get("/admin/lms_identity/breakglassrequest/").content.decode()
    detail = admin_client.get(f"/admin/lms_identity/breakglassrequest/{request.pk}/change/").content.decode()

    request.refresh_from_db()
    closed = formats.date_format(timezone.localtime(request.closed_at), "DATETIME_FORMAT")
    assert "expired unused" in listing
    assert "Closed at" in detail and closed in detail
