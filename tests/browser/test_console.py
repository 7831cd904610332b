"""An L&D admin's main tasks in the console, in Chromium: read a person's access and history and end a
session; issue and revoke a SCIM token; see an Alert when a pool fills; read the dashboard's charts."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from courses.models import Course, EntitlementRule
from courses.reconcile import reconcile_people
from courses.services.pools import create_pool
from courses.services.rules import create_rule
from lms_identity.models import ScimToken, User
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import configure_oidc
from lms_identity.services.tokens import find_connection_for_token, issue_scim_token
from provisioning.models import JobRun
from provisioning.services.job_runs import run_job
from provisioning.tasks import check_alerts
from tests.factories import ConnectionFactory, GroupFactory, MembershipFactory, UserFactory, session_for

from .conftest import shoot

pytestmark = pytest.mark.browser

ACTOR = Actor.system("tests")


def engineer_with_access():
    connection = ConnectionFactory(slug="okta", name="Okta")
    ada = UserFactory(
        connection=connection, source=Source.SCIM, display_name="Ada Lovelace", title="Engineer"
    )
    team = GroupFactory(connection=connection, display_name="Engineering")
    MembershipFactory(group=team, user=ada)
    course = Course.objects.create(slug="secure-coding", title="Secure coding", published=True)
    pool = create_pool(actor=ACTOR, product="GitHub Copilot", seat_count=1)
    for name, kind, target in (("Engineers: secure coding", "course", course), ("Copilot", "seat", pool)):
        create_rule(
            {
                "name": name,
                "target_type": kind,
                "target": target,
                "groups": [team.pk],
                "conditions": [],
                "removal_policy": "suspend",
            },
            actor=ACTOR,
        )
    reconcile_people([ada.pk], actor=ACTOR)
    return connection, ada


def test_find_a_person_read_their_access_and_end_a_session(console):
    _, ada = engineer_with_access()
    key = session_for(ada)

    console.goto(f"{console.base}/admin/")
    console.click("a[href='/admin/lms_identity/user/']")  # the sidebar's People
    console.fill("#searchbar", "lovelace")
    console.press("#searchbar", "Enter")
    console.click("#result_list >> text=Ada Lovelace")
    console.wait_for_selector("#person-page")
    shoot(console, "person-page")

    assert "IdP: Okta" in console.inner_text("#person-summary")
    assert "Secure coding" in console.inner_text("#person-grants")
    assert "Engineers: secure coding" in console.inner_text("#person-grants")
    assert "GitHub Copilot" in console.inner_text("#person-seats")
    assert "Engineering" in console.inner_text("#person-teams")
    assert "grant.created" in console.inner_text("#person-history")

    console.click("#person-sessions >> text=End session")
    console.wait_for_selector("text=Session ended")
    shoot(console, "person-session-ended")

    assert not Session.objects.filter(session_key=key).exists()
    assert "No active session" in console.inner_text("#person-sessions")


def test_issue_a_scim_token_on_the_connection_page_then_revoke_it(console):
    connection = ConnectionFactory(slug="okta", name="Okta")

    console.goto(f"{console.base}/admin/lms_identity/idpconnection/{connection.pk}/change/")
    assert console.inner_text("#scim-base-url").endswith("/scim/v2/")
    shoot(console, "connection-page")
    console.fill("#scim-tokens input[name=label]", "Okta production")
    console.click("#issue-token")
    raw = console.inner_text("#raw-token").strip()
    shoot(console, "token-issued")

    assert find_connection_for_token(raw) == connection
    assert all(raw not in c["value"] for c in console.context.cookies())

    console.click("text=Back to Okta")
    assert raw not in console.content()
    console.click("#scim-tokens >> text=Revoke")
    console.wait_for_selector("text=revoked: the IdP can no longer use it")

    assert ScimToken.objects.get().revoked_at is not None
    assert find_connection_for_token(raw) is None


def test_rotate_a_scim_token_on_the_connection_page_and_the_old_one_keeps_working_until_its_expiry(
    console, settings
):
    settings.SCIM_TOKEN_ROTATION_OVERLAP_HOURS = 24
    connection = ConnectionFactory(slug="okta", name="Okta")
    old, old_raw = issue_scim_token(connection, actor=ACTOR)

    console.goto(f"{console.base}/admin/lms_identity/idpconnection/{connection.pk}/change/")
    console.click(f"#scim-tokens tr[data-token='{old.hint}'] >> text=Rotate")
    new_raw = console.inner_text("#raw-token").strip()
    overlap = console.inner_text("#rotation-overlap")
    shoot(console, "token-rotated")
    console.click("text=Back to Okta")
    state = console.inner_text(f"#scim-tokens tr[data-token='{old.hint}'] .token-state")
    shoot(console, "connection-page-rotated")

    old.refresh_from_db()
    assert timedelta(hours=23) < old.expires_at - timezone.now() <= timedelta(hours=24)
    assert f"keeps working until {old.expires_at:%Y-%m-%d %H:%M} UTC" in overlap
    assert state == f"rotated: works until {old.expires_at:%Y-%m-%d %H:%M} UTC"
    assert find_connection_for_token(new_raw) == connection
    assert find_connection_for_token(old_raw) == connection


def test_an_ld_admin_reads_a_connection_page_and_issues_a_scim_token(ld_admin_console):
    page = ld_admin_console
    connection = ConnectionFactory(slug="okta", name="Okta")
    configure_oidc(
        connection,
        actor=ACTOR,
        changes={"issuer": "https://okta.example.com", "client_id": "lms", "client_secret": "s3cret-value"},
    )

    page.goto(f"{page.base}/admin/")
    page.click("nav >> text=IdP connections")
    page.click("text=Okta")
    base_url = page.inner_text("#scim-base-url")
    health = page.inner_text("#connection-health")
    oidc = page.inner_text("#oidc-setup")
    connection_page = page.content()
    shoot(page, "connection-page-ld-admin")
    page.fill("#scim-tokens input[name=label]", "Okta production")
    page.click("#issue-token")
    raw = page.inner_text("#raw-token").strip()

    assert base_url.endswith("/scim/v2/") and "Last SCIM request" in health
    assert "https://okta.example.com" in oidc and "/sso/okta/callback/" in oidc
    assert "s3cret-value" not in connection_page and "s3cret-value" not in page.content()
    assert find_connection_for_token(raw) == connection
    page.goto(f"{page.base}/admin/lms_identity/idpconnection/{connection.pk}/change/")
    assert "s3cret-value" not in page.content()
    assert page.locator("text=Edit sign-in settings").count() == 0
    assert page.locator("input[name=name]").count() == 0  # the connection itself is read-only


def test_an_alert_appears_when_a_license_pool_fills(console):
    engineer_with_access()  # one seat, held

    check_alerts()
    console.goto(f"{console.base}/admin/courses/licensepool/")
    shoot(console, "pool-full-alert")

    assert "License pool GitHub Copilot is full: 1 of 1 seats held" in console.inner_text(
        "#provisioning-alerts"
    )


def test_the_dashboards_charts_each_have_data_points(console):
    # The live server's tables are flushed between tests: put back the roles the migrations seed.
    for name, step in [
        ("0002_seed_role_templates", "seed"),
        ("0004_admin_capabilities_and_auditor", "forwards"),
    ]:
        getattr(importlib.import_module(f"courses.migrations.{name}"), step)(django_apps, None)
    call_command("seed_demo")

    console.goto(f"{console.base}/admin/dashboard/")
    console.wait_for_function(
        "document.querySelectorAll('canvas[data-chart]').length > 0 && "
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)"
    )
    points = console.evaluate(
        "Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')].map(c => "
        "[c.dataset.chart, c.chart.data.datasets.flatMap(d => d.data).filter(v => v).length]))"
    )
    shoot(console, "dashboard")

    assert len(points) == 6
    assert all(count > 0 for count in points.values()), points


def test_build_a_rule_from_conditions_preview_it_live_and_save_it(console):
    connection = ConnectionFactory(slug="okta", name="Okta")
    for name, department in (("Rita Research", "Research"), ("Sam Sales", "Sales")):
        UserFactory(connection=connection, display_name=name, department=department)
    course = Course.objects.create(slug="research-methods", title="Research methods", published=True)

    console.goto(f"{console.base}/admin/courses/entitlementrule/add/")
    console.fill("#id_name", "Researchers: methods")
    console.select_option("#id_target_type", "course")
    assert console.is_visible("#id_course") and not console.is_visible("#id_pool")
    console.select_option("#id_course", str(course.pk))
    console.select_option("#id_condition_1_attribute", "department")
    console.fill("#id_condition_1_values", "Research")
    console.wait_for_selector("#rule-preview-result >> text=would gain it")
    preview = console.inner_text("#rule-preview-result")
    shoot(console, "rule-editor-preview")

    assert "1 active people match" in preview and "Rita Research" in preview and "Sam Sales" not in preview
    assert not EntitlementRule.objects.exists()
    assert console.locator(".errornote").count() == 0

    console.click("button[name=_save]")
    console.wait_for_selector("text=1 people reconciled")
    assert EntitlementRule.objects.get().conditions == [{"attribute": "department", "values": ["Research"]}]


def test_watch_a_dry_run_to_its_end_and_read_its_report(console):
    orphan = UserFactory(connection=None, source=Source.JIT, display_name="Olga Orphan")
    User.objects.filter(pk=orphan.pk).update(created_at=timezone.now() - timedelta(days=365))

    console.goto(f"{console.base}/admin/provisioning/sweepsettings/")
    shoot(console, "sweeps")
    console.click("#sweep-orphaned_accounts [data-action=dry-run]")
    console.wait_for_selector("#run-page")
    assert "Queued" in console.inner_text("#run-headline")
    run = JobRun.objects.get()
    run_job(run.kind, dry_run=True, trigger=run.trigger, job_run_id=run.pk)  # what a worker does
    console.wait_for_selector("text=Dry run: would deactivate 1 person")  # polled, then reloaded
    shoot(console, "sweep-dry-run-report")

    assert "Olga Orphan" in console.inner_text("#run-people")
    assert User.objects.get(pk=orphan.pk).is_active


@pytest.mark.parametrize(
    "path",
    [
        "/admin/lms_identity/user/",
        "/admin/lms_identity/group/",
        "/admin/courses/grant/",
        "/admin/courses/entitlementrule/",
        "/admin/provisioning/jobrun/",
        "/admin/lms_identity/auditevent/",
    ],
)
def test_list_pages_fit_a_laptop_screen(console, path):
    engineer_with_access()

    console.goto(f"{console.base}{path}")
    shoot(console, "list" + re.sub(r"\W+", "-", path).rstrip("-"))
