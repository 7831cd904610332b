"""The admin shows job runs and alerts, and queues runs and dry runs."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from lms_identity.models import AuditEvent, User
from provisioning.models import Alert, JobKind, JobRun, RunStatus, SweepSettings
from provisioning.services.alerts import raise_alert


@pytest.mark.django_db
def test_an_open_alert_is_a_banner_on_every_admin_page(admin_client):
    raise_alert("brake.inactive_access", "Safety brake: too many people")

    for url in (reverse("admin:index"), reverse("admin:provisioning_jobrun_changelist")):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert "Safety brake: too many people" in page.content.decode()


@pytest.mark.django_db
def test_a_resolved_alert_is_no_longer_shown(admin_client):
    alert = raise_alert("brake.inactive_access", "Safety brake: too many people")

    admin_client.post(
        reverse("admin:provisioning_alert_changelist"),
        {"action": "resolve", "_selected_action": [alert.pk]},
    )

    assert Alert.objects.get(pk=alert.pk).resolved_at is not None
    assert "Safety brake" not in admin_client.get(reverse("admin:index")).content.decode()
    event = AuditEvent.objects.get(action="alert.acknowledged")  # the same service as the API's
    assert (event.actor_label, event.context["key"]) == ("lnd-admin", "brake.inactive_access")


@pytest.mark.django_db
def test_dry_run_from_the_admin_runs_the_sweep_and_changes_nothing(
    admin_client, eager, django_capture_on_commit_callbacks
):
    settings_row = SweepSettings.objects.get(kind=JobKind.ORPHANED_ACCOUNTS)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:provisioning_sweepsettings_changelist"),
            {"action": "dry_run", "_selected_action": [settings_row.pk]},
            follow=True,
        )

    run = JobRun.objects.get()
    assert run.dry_run and run.trigger == "admin" and run.status == RunStatus.DONE
    assert f"Dry run #{run.pk}" in response.content.decode()


@pytest.mark.django_db
def test_run_now_on_a_job_run_queues_a_new_run_of_that_kind(
    admin_client, eager, django_capture_on_commit_callbacks
):
    old = JobRun.objects.create(kind=JobKind.DISABLED_CONNECTION, status=RunStatus.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:provisioning_jobrun_changelist"),
            {"action": "run_now", "_selected_action": [old.pk]},
        )

    new = JobRun.objects.exclude(pk=old.pk).get()
    assert new.kind == JobKind.DISABLED_CONNECTION and not new.dry_run and new.status == RunStatus.DONE


@pytest.mark.django_db
def test_the_job_run_list_shows_progress(admin_client):
    JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.RUNNING, processed=50, total=200)

    page = admin_client.get(reverse("admin:provisioning_jobrun_changelist")).content.decode()

    assert "50 / 200 (25%)" in page


@pytest.mark.django_db
def test_the_command_prints_progress_and_a_dry_run_report(eager, capsys):
    from datetime import timedelta

    from django.utils import timezone

    from lms_identity.models.users import Source
    from tests.factories import UserFactory

    person = UserFactory(connection=None, source=Source.JIT)
    User.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=365))

    call_command("run_sweep", "orphaned_accounts", "--dry-run")

    out = capsys.readouterr().out
    assert "[##############################] 1/1" in out
    assert f"would act on {person.user_name}" in out
    assert User.objects.get(pk=person.pk).is_active
