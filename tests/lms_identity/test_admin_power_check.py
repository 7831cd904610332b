"""The system check lms_identity.W201 names every account but the break-glass one holding admin power no
IdP granted, so an operator sees it at `migrate` and `check --database default`."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.core.checks import run_checks

from lms_identity.models import User
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import create_break_glass_account
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TESTS = Actor.system("tests")


def warnings():
    return [m for m in run_checks(databases=["default"]) if m.id == "lms_identity.W201"]


def test_a_superuser_made_by_createsuperuser_is_named():
    User.objects.create_superuser("root", "root@example.com", "x")

    found = warnings()

    assert len(found) == 1 and "1 account(s)" in found[0].msg and "root" in found[0].msg


def test_the_break_glass_account_and_role_mapped_admins_are_not_named(role_holder):
    create_break_glass_account("break-glass", "owner@example.com", "a-long-password-123", actor=TESTS)
    role_holder("ld-admin")

    assert warnings() == []


def test_an_auth_group_or_hand_set_staff_on_an_account_no_idp_knows_is_named():
    in_group = UserFactory(user_name="grouped@example.com")
    in_group.groups.add(AuthGroup.objects.create(name="owners"))
    UserFactory(user_name="local-staff@example.com", connection=None, is_staff=True)
    local_perm = UserFactory(user_name="local-perm@example.com", connection=None)
    local_perm.user_permissions.add(Permission.objects.get(codename="view_user"))

    [found] = warnings()

    assert "3 account(s)" in found.msg
    for name in ("grouped@example.com", "local-staff@example.com", "local-perm@example.com"):
        assert name in found.msg


def test_the_check_looks_at_the_database_only_when_asked():
    User.objects.create_superuser("root", "root@example.com", "x")

    assert [m for m in run_checks() if m.id == "lms_identity.W201"] == []
