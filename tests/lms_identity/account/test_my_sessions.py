"""My sessions: a learner sees their sessions and ends one, or all others; never anyone else's."""

import pytest
from django.test import Client

from lms_identity.account.devices import describe_device
from lms_identity.models import AuditEvent, UserSession
from lms_identity.services.sessions import index_session
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def browser(user, user_agent=CHROME, address="192.0.2.10"):
    """A signed-in browser, indexed as a sign-in from this device and address would be."""
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    client.force_login(user)
    index_session(user, client.session.session_key, user_agent=user_agent, ip_address=address)
    return client


def test_the_page_lists_the_persons_sessions_with_device_address_and_how_they_signed_in():
    ada = UserFactory()
    here, _ = browser(ada), browser(ada, FIREFOX, "198.51.100.7")
    browser(UserFactory())  # someone else

    page = here.get("/account/sessions/").content.decode()

    assert page.count('class="session') == 2
    assert "Chrome on Linux" in page and "(this browser)" in page
    assert "Firefox on Windows" in page and "198.51.100.7" in page


def test_ending_one_session_leaves_this_one_signed_in():
    ada = UserFactory()
    here, there = browser(ada), browser(ada, FIREFOX)
    theirs = UserSession.objects.get(session_key=there.session.session_key)

    response = here.post("/account/sessions/", {"session": theirs.pk})

    assert response.status_code == 302
    assert there.get("/learn/").status_code == 302
    assert here.get("/learn/").status_code == 200
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.actor_type, event.context["cause"]) == ("user", "self")


def test_a_person_cannot_end_someone_elses_session():
    ada, bob = UserFactory(), UserFactory()
    here, bobs = browser(ada), browser(bob)
    target = UserSession.objects.get(session_key=bobs.session.session_key)

    here.post("/account/sessions/", {"session": target.pk})

    assert bobs.get("/learn/").status_code == 200
    assert not AuditEvent.objects.filter(action="session.ended").exists()


def test_sign_out_all_others_keeps_only_this_browser():
    ada = UserFactory()
    here, others = browser(ada), [browser(ada, FIREFOX) for _ in range(2)]

    here.post("/account/sessions/", {"others": "1"})

    assert [o.get("/learn/").status_code for o in others] == [302, 302]
    assert here.get("/learn/").status_code == 200
    assert AuditEvent.objects.get(action="session.ended").context["sessions_ended"] == 2


def test_the_page_needs_a_signed_in_person(client):
    assert client.get("/account/sessions/")["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (CHROME, "Chrome on Linux"),
        ("", "Unknown device"),
        ("curl/8", "Unknown device"),
    ],
)
def test_devices_are_named_from_the_user_agent(user_agent, device):
    assert describe_device(user_agent) == device


def test_a_session_django_let_expire_is_not_listed():
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    ada = UserFactory()
    here, gone = browser(ada), browser(ada, FIREFOX)
    Session.objects.filter(session_key=gone.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    page = here.get("/account/sessions/").content.decode()

    assert page.count('class="session') == 1 and "Firefox" not in page
