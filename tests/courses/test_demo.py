"""The demo `make run` seeds: a demo learner who signs in sees entitled courses."""

import pytest
from django.core.management import call_command
from django.test import Client

from courses.models import Course, EntitlementRule, Grant
from lms_identity.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_demo_learners_their_teams_courses_and_is_idempotent():
    call_command("seed_demo")
    counts = (Course.objects.count(), EntitlementRule.objects.count(), Grant.objects.count())

    call_command("seed_demo")

    assert (Course.objects.count(), EntitlementRule.objects.count(), Grant.objects.count()) == counts
    client = Client()
    client.force_login(User.objects.get(user_name="ada@demo.example"))
    page = client.get("/learn/").content.decode()
    assert "Company essentials" in page and "Backend engineer" in page
    assert "Negotiation basics" not in page
    assert client.get("/learn/courses/secure-coding/").status_code == 200
    assert client.get("/learn/courses/negotiation-basics/").status_code == 403


def test_the_demo_manager_sees_her_team():
    call_command("seed_demo")
    client = Client()
    client.force_login(User.objects.get(user_name="grace@demo.example"))

    page = client.get("/learn/team/").content.decode()

    assert "Ada Lovelace" in page and "Mary Jackson" in page


def test_the_demo_ld_admin_gets_the_admin_from_her_group_and_nobody_has_a_password():
    call_command("seed_demo")

    grace = User.objects.get(user_name="grace@demo.example")
    ada = User.objects.get(user_name="ada@demo.example")
    assert grace.is_staff and grace.has_perm("courses.change_entitlementrule") and not grace.is_superuser
    assert not ada.is_staff
    assert not User.objects.filter(is_superuser=True).exists()
