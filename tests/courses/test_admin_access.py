"""Admin access follows role grants: staff flag and permissions from the role templates, enforced by the
admin's own checks and the API's permission classes, taken away (sessions too) when the role goes."""

import pytest
from django.db import connection as db_connection
from django.test import Client
from rest_framework.test import APIClient

from courses.models import Override
from courses.reconcile import reconcile_everyone
from courses.services.admin_access import is_current, refresh_admin_access, sync_admin_access
from courses.services.overrides import remove_override
from lms_identity.models import AuditEvent, User, UserSession
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import create_break_glass_account
from lms_identity.services.sessions import index_session
from lms_identity.services.users import update_user
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

TESTS = Actor.system("tests")


def signed_in(person):
    """A browser signed in as the person, its session in the session index as an SSO sign-in's is."""
    client = Client()
    client.force_login(person)
    index_session(person, client.session.session_key)
    return client


def token_client(person):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(person, actor=TESTS)[1]}")
    return client


def test_the_ld_admin_role_makes_staff_with_the_catalog_and_rules_permissions(role_holder):
    admin = role_holder("ld-admin")

    assert admin.is_staff and not admin.is_superuser
    assert admin.has_perm("courses.change_course")
    assert admin.has_perm("courses.add_entitlementrule")
    assert admin.has_perm("lms_identity.view_auditevent")
    assert not admin.has_perm("lms_identity.change_user")
    assert admin.has_perm("lms_identity.view_idpconnection")
    assert not admin.has_perm("lms_identity.change_idpconnection")


def test_a_learner_role_gives_no_admin_access(role_holder):
    learner = role_holder("learner")

    assert not learner.is_staff
    assert not learner.get_all_permissions()


def test_an_ld_admin_sees_the_rules_and_the_idp_connections_read_only(role_holder):
    client = signed_in(role_holder("ld-admin"))

    assert client.get("/admin/courses/entitlementrule/").status_code == 200
    assert client.get("/admin/courses/course/add/").status_code == 200
    assert client.get("/admin/lms_identity/idpconnection/").status_code == 200
    assert client.get("/admin/lms_identity/idpconnection/add/").status_code == 403
    assert client.get("/admin/lms_identity/user/").status_code == 200
    assert client.get("/admin/lms_identity/user/add/").status_code == 403


def test_an_auditor_reads_the_audit_trail_and_changes_nothing_in_the_admin(role_holder):
    client = signed_in(role_holder("auditor"))

    assert client.get("/admin/lms_identity/auditevent/").status_code == 200
    assert client.get("/admin/dashboard/").status_code == 200
    assert client.get("/admin/courses/course/add/").status_code == 403
    assert client.post("/admin/courses/course/add/", {"slug": "x", "title": "X"}).status_code == 403
    assert client.get("/admin/courses/entitlementrule/").status_code == 403


def test_an_auditor_can_change_nothing_through_the_api(role_holder):
    api = token_client(role_holder("auditor"))

    assert api.get("/api/v1/rules/").status_code == 403
    created = api.post("/api/v1/courses/", {"slug": "x", "title": "X"}, format="json")
    assert created.status_code == 403
    assert not CourseFactory._meta.model.objects.filter(slug="x").exists()


def test_an_ld_admin_token_works_and_stops_when_the_role_is_removed(role_holder):
    admin = role_holder("ld-admin")
    api = token_client(admin)
    assert api.get("/api/v1/rules/").status_code == 200

    remove_override(Override.objects.get(user=admin), actor=TESTS)

    assert api.get("/api/v1/rules/").status_code == 403


def test_losing_the_role_drops_admin_access_from_the_live_session_and_learning_goes_on(role_holder):
    admin = role_holder("ld-admin")
    client = signed_in(admin)
    assert client.get("/admin/").status_code == 200

    remove_override(Override.objects.get(user=admin), actor=TESTS)

    admin.refresh_from_db()
    assert not admin.is_staff and not admin.get_all_permissions()
    response = client.get("/admin/courses/course/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/admin/login/?next=/admin/courses/course/",
    )
    assert client.get("/learn/").status_code == 200
    assert UserSession.objects.filter(user=admin).exists()
    assert not AuditEvent.objects.filter(action="session.ended").exists()
    event = AuditEvent.objects.filter(action="admin_access.changed", target_id=str(admin.pk)).latest("id")
    assert event.context["admin_sessions_dropped"] == 1


def test_losing_the_role_also_stops_the_admin_pages_for_a_session_signed_in_through_the_admin(role_holder):
    admin = role_holder("ld-admin")
    client = signed_in(admin)

    remove_override(Override.objects.get(user=admin), actor=TESTS)

    login_page = client.get("/admin/login/")  # the sign-in page, not a redirect into /admin/
    assert login_page.status_code == 200 and "holds no admin role now" in login_page.content.decode()
    assert client.post("/admin/courses/course/add/", {"slug": "x", "title": "X"}).status_code == 302
    assert not CourseFactory._meta.model.objects.filter(slug="x").exists()


def test_a_deactivated_admin_loses_staff_and_permissions_on_the_next_reconcile(role_holder):
    admin = role_holder("ld-admin")

    update_user(admin, actor=TESTS, changes={"is_active": False})
    reconcile_everyone(actor=TESTS)

    admin.refresh_from_db()
    assert not admin.is_staff and not admin.get_all_permissions()


def test_staff_set_by_hand_does_not_survive_the_full_reconcile():
    person = UserFactory(is_staff=True)
    owner = User.objects.create_superuser("owner", "owner@example.com", "x")

    reconcile_everyone(actor=TESTS)

    person.refresh_from_db()
    owner.refresh_from_db()
    assert not person.is_staff
    assert owner.is_staff and owner.is_superuser


def test_syncing_twice_changes_nothing_the_second_time(role_holder):
    admin = role_holder("ld-admin")
    events = AuditEvent.objects.count()

    summary = sync_admin_access([admin.pk], actor=TESTS)

    assert summary == {"changed": 0, "admin_sessions_dropped": 0}
    assert AuditEvent.objects.count() == events


def test_the_full_reconcile_strips_a_superuser_flag_set_by_hand_on_a_person_the_idp_knows():
    person = UserFactory(is_superuser=True, is_staff=True)
    client = signed_in(person)

    reconcile_everyone(actor=TESTS)

    person.refresh_from_db()
    assert not (person.is_superuser or person.is_staff)
    event = AuditEvent.objects.get(action="admin_access.changed", target_id=str(person.pk))
    assert event.changes["is_superuser"] == [True, False]
    assert client.get("/admin/").status_code == 302
    assert client.get("/learn/").status_code == 200


def test_the_break_glass_account_keeps_its_superuser_flag():
    account = create_break_glass_account(
        "break-glass", "owner@example.com", "a-long-password-123", actor=TESTS
    )

    summary = sync_admin_access([account.pk], actor=TESTS)
    reconcile_everyone(actor=TESTS)

    account.refresh_from_db()
    assert summary == {"changed": 0, "admin_sessions_dropped": 0}
    assert account.is_superuser and account.is_staff


postgres_only = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="the one-query check is PostgreSQL's (elsewhere: a sync)"
)


@postgres_only
def test_a_sign_in_of_an_admin_already_as_their_roles_say_is_one_read(role_holder, django_assert_num_queries):
    admin = role_holder("ld-admin")

    with django_assert_num_queries(1):
        summary = refresh_admin_access(admin.pk, actor=TESTS)

    assert summary == {"changed": 0, "admin_sessions_dropped": 0}
    admin.refresh_from_db()
    assert admin.is_staff and admin.has_perm("courses.change_course")


@postgres_only
def test_the_one_read_finds_every_kind_of_drift(role_holder):
    learner, admin, lost = UserFactory(), role_holder("ld-admin"), role_holder("ld-admin")
    hand_made = UserFactory(is_staff=True)
    User.user_permissions.through.objects.filter(user_id=admin.pk).first().delete()
    User.objects.filter(pk=lost.pk).update(is_active=False)

    assert is_current(learner.pk)
    assert not is_current(admin.pk)  # a permission missing
    assert not is_current(lost.pk)  # inactive: holds nothing, still has staff
    assert not is_current(hand_made.pk)  # staff without a role


def test_a_sign_in_takes_away_staff_set_by_hand():
    person = UserFactory(is_staff=True)

    summary = refresh_admin_access(person.pk, actor=TESTS)

    person.refresh_from_db()
    assert summary["changed"] == 1 and not person.is_staff
