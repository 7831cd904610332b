"""The Sweeps page: every sweep kind listed with big Run now / Dry run buttons; a run's page follows it
(a JSON progress endpoint) and reports in words, with names and links."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Course, Grant
from courses.services.rules import create_rule
from lms_identity.models import User
from lms_identity.models.users import Source
from provisioning.models import JobKind, JobRun, RunStatus, SweepSettings
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SWEEP_KINDS = {
    "inactive_access",
    "orphaned_accounts",
    "disabled_connection",
    "retention_purge",
    "unused_seats",
    "reconcile_everyone",
}


def run_url(kind):
    return f"/admin/provisioning/sweepsettings/run/{kind}/"


def an_orphan(name):
    person = UserFactory(connection=None, source=Source.JIT, display_name=name)
    User.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=365))
    return person


def test_every_sweep_kind_has_a_settings_row_with_safe_defaults():
    rows = {row.kind: row for row in SweepSettings.objects.all()}

    assert set(rows) == SWEEP_KINDS
    assert not rows["unused_seats"].enabled
    assert rows["orphaned_accounts"].brake_share == 0.2


def test_the_sweeps_page_lists_every_kind_with_run_buttons(admin_client):
    page = admin_client.get("/admin/provisioning/sweepsettings/").content.decode()

    for kind in SWEEP_KINDS:
        assert f'id="sweep-{kind}"' in page
    assert page.count('data-action="run-now"') == len(SWEEP_KINDS)
    assert page.count('data-action="dry-run"') == len(SWEEP_KINDS)


def test_dry_run_button_queues_a_run_and_opens_its_page(
    admin_client, eager, django_capture_on_commit_callbacks
):
    orphan = an_orphan("Olga Orphan")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(run_url("orphaned_accounts"), {"dry_run": "1"})
    run = JobRun.objects.get()
    page = admin_client.get(response["Location"]).content.decode()

    assert run.dry_run and run.status == RunStatus.DONE
    assert response["Location"] == f"/admin/provisioning/jobrun/{run.pk}/change/"
    assert "Dry run: would deactivate 1 person. Nothing was changed." in page
    assert f'href="/admin/lms_identity/user/{orphan.pk}/change/">Olga Orphan</a>' in page
    assert User.objects.get(pk=orphan.pk).is_active


def test_a_dry_run_that_would_change_nothing_says_so(admin_client, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(run_url("orphaned_accounts"), {"dry_run": "1"})

    assert "Dry run: nothing would change." in admin_client.get(response["Location"]).content.decode()


def test_run_now_acts_and_reports_in_words(admin_client, eager, django_capture_on_commit_callbacks):
    orphan = an_orphan("Olga Orphan")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(run_url("orphaned_accounts"))

    assert "Done: 1 people deactivated." in admin_client.get(response["Location"]).content.decode()
    assert not User.objects.get(pk=orphan.pk).is_active


def test_an_unknown_sweep_is_404_and_a_get_is_refused(admin_client):
    assert admin_client.post(run_url("nope")).status_code == 404
    assert admin_client.get(run_url("orphaned_accounts")).status_code == 405
    assert not JobRun.objects.exists()


def test_the_progress_endpoint_follows_a_running_run(admin_client):
    run = JobRun.objects.create(
        kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.RUNNING, processed=50, total=200
    )

    progress = admin_client.get(f"/admin/provisioning/jobrun/{run.pk}/progress/").json()

    assert progress == {
        "status": "Running",
        "processed": 50,
        "total": 200,
        "percent": 25,
        "finished": False,
        "headline": "Running: 50 of 200 people examined so far.",
        "unit": "people examined",
    }


def test_a_sweep_without_its_settings_row_is_still_listed_with_its_defaults(admin_client):
    SweepSettings.objects.filter(kind="retention_purge").delete()

    page = admin_client.get("/admin/provisioning/sweepsettings/").content.decode()

    assert 'id="sweep-retention_purge"' in page and "N = 30 days" in page
    assert not SweepSettings.objects.filter(kind="retention_purge").exists()


def test_a_full_reconcile_dry_run_says_nothing_would_change_when_grants_are_up_to_date(
    admin_client, eager, django_capture_on_commit_callbacks, connection
):
    UserFactory.create_batch(3, connection=connection)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(run_url("reconcile_everyone"), {"dry_run": "1"})

    assert "Dry run: nothing would change." in admin_client.get(response["Location"]).content.decode()


def test_a_full_reconcile_dry_run_counts_the_grants_it_would_create_and_creates_none(
    admin_client, eager, django_capture_on_commit_callbacks, connection, system_actor
):
    group = GroupFactory(connection=connection, display_name="Engineering")
    course = Course.objects.create(slug="python", title="Python", published=True)
    create_rule(
        {
            "name": "Engineers: python",
            "target_type": "course",
            "target": course,
            "groups": [group.pk],
            "conditions": [],
            "removal_policy": "suspend",
        },
        actor=system_actor,
    )
    for person in UserFactory.create_batch(2, connection=connection):
        MembershipFactory(group=group, user=person)  # joined behind the outbox's back: grants are stale

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(run_url("reconcile_everyone"), {"dry_run": "1"})

    page = admin_client.get(response["Location"]).content.decode()
    assert "Dry run: would change grants (2 created). Nothing was changed." in page
    assert not Grant.objects.exists()


def test_run_now_while_a_run_is_in_progress_queues_nothing_and_opens_that_run(admin_client):
    running = JobRun.objects.create(kind="orphaned_accounts", status=RunStatus.RUNNING)

    response = admin_client.post(run_url("orphaned_accounts"), follow=True)

    assert response.redirect_chain[-1][0] == f"/admin/provisioning/jobrun/{running.pk}/change/"
    assert JobRun.objects.count() == 1
    assert f"Not queued: Orphaned accounts (no IdP, no login) is already running (run #{running.pk})" in (
        response.content.decode()
    )
