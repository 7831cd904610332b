"""Admin password sign-in (the break-glass account's, inside an approved window): django-axes locks an
account and an address after repeated failures."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.test import Client, RequestFactory
from django.utils import timezone

from lms_identity.models import AuditEvent, BreakGlassAccount, BreakGlassRequest, User, UserSession
from provisioning.models import Alert

pytestmark = pytest.mark.django_db

LIMIT = 3
ATTACKER, OTHER_ADDRESS = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def admins():
    return (
        User.objects.create_superuser("root-admin", "root@example.com", "right-password"),
        User.objects.create_superuser("other-admin", "other@example.com", "other-password"),
    )


def _break_glass(user):
    """Make the person the break-glass account, with approved windows open for a few sign-ins."""
    BreakGlassAccount.objects.create(user=user)
    now = timezone.now()
    for _ in range(3):
        BreakGlassRequest.objects.create(
            reason="tests",
            minutes=60,
            requested_by=user,
            approved_at=now,
            window_ends_at=now + timezone.timedelta(hours=1),
        )
    return user


def _sign_in(user_name, password, address=ATTACKER):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/admin/login/?next=/admin/", {"username": user_name, "password": password})
    return response, client


def _signed_in(client):
    return client.get("/admin/").status_code == 200


def _fail(user_name, times, address=ATTACKER):
    for _ in range(times):
        _sign_in(user_name, "wrong", address)


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(admins):
    _fail("root-admin", LIMIT)

    response, client = _sign_in("root-admin", "right-password", OTHER_ADDRESS)

    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert not _signed_in(client)


def test_fewer_failures_than_the_limit_lock_nothing(admins):
    _break_glass(admins[0])
    _fail("root-admin", LIMIT - 1)

    response, client = _sign_in("root-admin", "right-password")

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_lock_out_is_audited_and_raises_one_alert_naming_the_account(admins):
    _fail("root-admin", LIMIT + 2)

    events = AuditEvent.objects.filter(action="admin.sign_in_locked_out")
    assert events.count() == 3  # the lock-out, then each attempt while locked
    assert events.first().target_id == str(admins[0].pk)
    assert events.first().context == {"user_name": "root-admin", "ip_address": ATTACKER}
    alert = Alert.objects.get(key__startswith="admin_sign_in.locked_out.")
    assert "'root-admin'" in alert.message and ATTACKER in alert.message
    assert alert.occurrences == 3
    assert "wrong" not in alert.message + str(events.first().context)


def test_another_account_from_another_address_is_unaffected(admins):
    _break_glass(admins[1])
    _fail("root-admin", LIMIT)

    response, client = _sign_in("other-admin", "other-password", OTHER_ADDRESS)

    assert response.status_code == 302
    assert _signed_in(client)
    assert not AuditEvent.objects.filter(context__user_name="other-admin").exists()


def test_the_locked_address_is_refused_for_every_account(admins):
    _fail("nobody-1", 1)
    _fail("nobody-2", 1)
    _fail("nobody-3", 1)

    response, client = _sign_in("other-admin", "other-password")

    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_refused_sso_sign_in_counts_for_nothing(admins):
    _break_glass(admins[0])
    request = RequestFactory().get("/sso/okta/callback/", REMOTE_ADDR=ATTACKER)
    for _ in range(LIMIT + 1):
        authenticate(request, username="root-admin", password="wrong")

    response, _ = _sign_in("root-admin", "right-password")

    assert response.status_code == 302
    assert not Alert.objects.exists()


def test_an_sso_sign_in_does_not_clear_the_admin_password_failures(admins):
    _break_glass(admins[0])
    _fail("root-admin", LIMIT - 1)

    user_logged_in.send(
        sender=User, request=RequestFactory().get("/sso/okta/callback/", REMOTE_ADDR=ATTACKER), user=admins[0]
    )
    _fail("root-admin", 1)
    response, _ = _sign_in("root-admin", "right-password", OTHER_ADDRESS)

    assert response.status_code == 429


def test_an_admin_sign_in_clears_the_failures_before_it(admins):
    _break_glass(admins[0])
    _fail("root-admin", LIMIT - 1)

    assert _sign_in("root-admin", "right-password", OTHER_ADDRESS)[0].status_code == 302
    _fail("root-admin", LIMIT - 1)
    response, _ = _sign_in("root-admin", "right-password", OTHER_ADDRESS)

    assert response.status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(admins, settings):
    _break_glass(admins[1])
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for _ in range(LIMIT):
        Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}").post(
            "/admin/login/", {"username": f"guess-{_}", "password": "wrong"}
        )

    other = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=OTHER_ADDRESS)
    response = other.post(
        "/admin/login/?next=/admin/", {"username": "other-admin", "password": "other-password"}
    )

    assert response.status_code == 302
    assert AuditEvent.objects.get(action="admin.sign_in_locked_out").context["ip_address"] == ATTACKER


def test_an_admin_password_sign_in_is_indexed_so_deactivation_can_end_it(admins):
    _break_glass(admins[0])
    response, client = _sign_in("root-admin", "right-password")

    assert response.status_code == 302
    assert UserSession.objects.filter(user=admins[0], session_key=client.session.session_key).exists()
