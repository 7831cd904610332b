"""End to end through the real OpenID provider in Chromium: an L&D admin whose role comes from the IdP's
"LMS Admins" group signs in to /admin/, sees what the role allows, and is out when SCIM removes them; an
Auditor reads and changes nothing; an Instructor sees only their courses' learners."""

from pathlib import Path

import pytest

from courses.capabilities import ADMIN_CAPABILITIES
from courses.models import Course, Enrollment, RoleTemplate
from courses.services.instructors import assign_instructor
from courses.services.rules import create_rule
from lms_identity.celery import app as celery_app
from lms_identity.models import AuditEvent, Group, GroupClaimMapping, User
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token
from provisioning.services.outbox_dispatch import drain_outbox
from tests.factories import UserFactory
from tests.provisioning.scim.conftest import ScimClient, patch_op

from .conftest import sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
CORE = "urn:ietf:params:scim:schemas:core:2.0:"


@pytest.fixture
def eager(settings):
    """The outbox's tasks run inline, as a worker would run them."""
    before = celery_app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def ld_admin_role():
    """The seeded L&D admin role (seeded again: a transactional test empties the tables after itself)."""
    role, _ = RoleTemplate.objects.get_or_create(
        slug="ld-admin",
        defaults={
            "name": "L&D admin",
            "capabilities": ["learn", *sorted(ADMIN_CAPABILITIES)],
            "requires_explicit_rule": True,
        },
    )
    return role


@pytest.fixture
def lms_admins(site):
    """Acme connected; Lena provisioned by SCIM into its "LMS Admins" group, which a rule maps to the
    L&D admin role. Returns (scim client, group id, Lena's id)."""
    connection = site.connect("acme")
    scim = ScimClient(issue_scim_token(connection, actor=Actor.system("tests"))[1])
    lena = scim.post(
        "Users",
        {
            "schemas": [f"{CORE}User"],
            "userName": "lena@acme.test",
            "externalId": "acme-lena",
            "name": {"givenName": "Lena", "familyName": "Learning"},
            "emails": [{"value": "lena@acme.test", "primary": True}],
            "active": True,
        },
    ).json()["id"]
    group = scim.post(
        "Groups", {"schemas": [f"{CORE}Group"], "displayName": "LMS Admins", "members": [{"value": lena}]}
    ).json()["id"]
    create_rule(
        {
            "name": "LMS Admins are L&D admins",
            "groups": [group],
            "target_type": "role",
            "target": ld_admin_role(),
        },
        actor=Actor.system("tests"),
    )
    return scim, group, lena


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-sso-{name}.png"), full_page=True)


def test_an_ld_admin_signs_in_to_the_admin_by_sso_and_sees_only_what_the_role_allows(site, page, lms_admins):
    page.goto(f"{site.url}/admin/")
    shot(page, "login")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "lena", "pw-lena")

    page.wait_for_url(f"{site.url}/admin/")
    shot(page, "index")
    body = page.content()
    assert "Entitlement rules" in body and "Courses" in body
    lena = User.objects.get(user_name="lena@acme.test")
    assert lena.is_staff and not lena.is_superuser
    # Connections read-only (issue 11), never their OpenID Connect settings (the client secret's form).
    assert page.goto(f"{site.url}/admin/lms_identity/idpconnection/").status == 200
    assert page.goto(f"{site.url}/admin/lms_identity/oidcconfig/").status == 403
    assert page.goto(f"{site.url}/admin/lms_identity/apitoken/").status == 403


def test_removed_from_the_group_by_scim_the_admin_is_closed_on_the_next_request_and_learning_goes_on(
    site, page, lms_admins, eager
):
    scim, group, lena = lms_admins
    page.goto(f"{site.url}/admin/login/")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "lena", "pw-lena")
    page.wait_for_url(f"{site.url}/admin/")

    removed = scim.patch(f"Groups/{group}", patch_op({"op": "remove", "path": f'members[value eq "{lena}"]'}))
    drain_outbox()
    page.goto(f"{site.url}/admin/courses/course/")

    assert removed.status_code in (200, 204)
    assert page.url.startswith(f"{site.url}/admin/login/")
    assert "holds no admin role now" in page.content()
    shot(page, "after-removal")
    assert not User.objects.get(pk=lena).is_staff
    assert AuditEvent.objects.filter(
        action="admin_access.changed", target_id=lena, context__admin_sessions_dropped=1
    ).exists()
    page.goto(f"{site.url}/learn/")
    assert page.url == f"{site.url}/learn/"  # the same session, still signed in as a learner
    shot(page, "after-removal-learn")


def role(slug, name, capabilities):
    found, _ = RoleTemplate.objects.get_or_create(
        slug=slug, defaults={"name": name, "capabilities": capabilities, "requires_explicit_rule": False}
    )
    return found


def claims_group_with_role(connection, claim, target):
    """A group the groups claim fills (claim value `claim`), which a rule maps to the role `target`."""
    group = Group.objects.create(connection=connection, display_name=claim, source="scim")
    GroupClaimMapping.objects.create(connection=connection, claim_value=claim, group=group)
    rule = {"name": claim, "groups": [str(group.pk)], "target_type": "role", "target": target}
    create_rule(rule, actor=Actor.system("tests"))


def test_an_auditor_reads_the_audit_trail_in_the_admin_and_cannot_change_anything(site, page):
    connection = site.connect("acme")
    claims_group_with_role(
        connection, "LMS Auditors", role("auditor", "Auditor", ["view_audit", "view_dashboards"])
    )

    page.goto(f"{site.url}/admin/login/")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "audrey", "pw-audrey")
    page.wait_for_url(f"{site.url}/admin/")
    audit = page.goto(f"{site.url}/admin/lms_identity/auditevent/")
    shot(page, "auditor-audit-trail")

    assert audit.status == 200 and "sso.login" in page.content()
    assert page.goto(f"{site.url}/admin/courses/course/add/").status == 403
    assert page.goto(f"{site.url}/admin/courses/entitlementrule/").status == 403
    assert page.goto(f"{site.url}/api/v1/courses/").status == 403


def test_an_instructor_sees_only_the_learners_of_their_courses(site, page):
    connection = site.connect("acme")
    claims_group_with_role(connection, "Instructors", role("instructor", "Instructor", ["learn", "teach"]))
    python = Course.objects.create(slug="python", title="Python", published=True)
    sql = Course.objects.create(slug="sql", title="SQL", published=True)
    Enrollment.objects.create(user=UserFactory(display_name="Pia Python"), course=python)
    Enrollment.objects.create(user=UserFactory(display_name="Sol Sql"), course=sql)

    page.goto(f"{site.url}/login/")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "ivan", "pw-ivan")
    page.wait_for_url(f"{site.url}/learn/")
    assign_instructor(python, User.objects.get(email="ivan@acme.test"), actor=Actor.system("tests"))
    page.goto(f"{site.url}/learn/teaching/")
    shot(page, "instructor-learners")

    assert "Pia Python" in page.content()
    assert "Sol Sql" not in page.content()
    assert page.goto(f"{site.url}/admin/").url.startswith(f"{site.url}/admin/login/")
