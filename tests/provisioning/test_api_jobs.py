"""The jobs API: read job runs and alerts, start a sweep or a dry run, acknowledge an alert; Auditors only
read, people without either role get 403."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Override
from courses.services.overrides import remove_override
from lms_identity.models import AuditEvent, User
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor
from provisioning.models import Alert, JobKind, JobRun, RunStatus, Trigger
from provisioning.services.alerts import raise_alert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def an_orphan(name):
    """An account of no IdP that never signed in, made long ago: the orphaned-accounts sweep's candidate."""
    person = UserFactory(connection=None, source=Source.JIT, display_name=name)
    User.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=365))
    return person


def test_a_dry_run_started_by_api_is_accepted_and_completes_without_changing_anyone(
    api_as, eager, django_capture_on_commit_callbacks
):
    orphan = an_orphan("Olga Orphan")
    api = api_as("ld-admin")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/job-runs/", {"kind": "orphaned_accounts", "dry_run": True}, format="json"
        )
    followed = api.get(response["Location"]).json()

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response["Location"] == f"/api/v1/job-runs/{response.json()['id']}/"
    assert (followed["kind"], followed["dry_run"], followed["status"], followed["trigger"]) == (
        "orphaned_accounts",
        True,
        "done",
        "api",
    )
    assert [row["id"] for row in followed["report"]["sample"]] == [str(orphan.pk)]
    assert User.objects.get(pk=orphan.pk).is_active
    event = AuditEvent.objects.get(action="job_run.started")
    assert (event.actor_id, event.context["dry_run"]) == (str(api.person.pk), True)


def test_a_real_run_started_by_api_acts(api_as, eager, django_capture_on_commit_callbacks):
    orphan = an_orphan("Olga Orphan")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("ld-admin").post("/api/v1/job-runs/", {"kind": "orphaned_accounts"}, format="json")

    assert response.status_code == 202
    assert JobRun.objects.get(pk=response.json()["id"]).status == RunStatus.DONE
    assert not User.objects.get(pk=orphan.pk).is_active


def test_a_second_start_while_one_is_queued_is_409_naming_the_run(api_as):
    api = api_as("ld-admin")
    first = api.post("/api/v1/job-runs/", {"kind": "inactive_access", "dry_run": True}, format="json")

    second = api.post("/api/v1/job-runs/", {"kind": "inactive_access"}, format="json")
    other_kind = api.post("/api/v1/job-runs/", {"kind": "orphaned_accounts"}, format="json")

    assert second.status_code == 409
    assert second.json() == {
        "detail": f"Inactive people still holding access is already queued (run #{first.json()['id']})",
        "run": first.json()["id"],
    }
    assert other_kind.status_code == 202
    assert JobRun.objects.filter(kind=JobKind.INACTIVE_ACCESS).count() == 1


def test_a_start_while_the_nightly_run_is_running_is_409(api_as):
    running = JobRun.objects.create(
        kind=JobKind.RETENTION_PURGE, status=RunStatus.RUNNING, trigger=Trigger.BEAT
    )

    response = api_as("ld-admin").post("/api/v1/job-runs/", {"kind": "retention_purge"}, format="json")

    assert response.status_code == 409
    assert response.json()["run"] == running.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nightly_everything"}, "kind"),
        ({"kind": "recompute_rule"}, "kind"),
        ({}, "kind"),
        ({"kind": "orphaned_accounts", "dry_run": "perhaps"}, "dry_run"),
        ({"kind": "orphaned_accounts", "confirm_share": "NaN"}, "confirm_share"),
        ({"kind": "orphaned_accounts", "confirm_share": 1.5}, "confirm_share"),
        ({"kind": "unused_seats", "confirm_share": 0.5}, "confirm_share"),
    ],
)
def test_a_bad_start_is_a_drf_400_naming_the_field_and_queues_nothing(api_as, body, field):
    response = api_as("ld-admin").post("/api/v1/job-runs/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not JobRun.objects.exists()


def test_a_body_that_is_not_json_is_a_400(api_as):
    response = api_as("ld-admin").post("/api/v1/job-runs/", "{kind", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_job_runs_filter_by_kind_status_and_dry_run(api_as):
    done = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.DONE)
    JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.FAILED)
    JobRun.objects.create(kind=JobKind.UNUSED_SEATS, status=RunStatus.DONE)
    dry = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.DONE, dry_run=True)
    api = api_as("auditor")

    response = api.get("/api/v1/job-runs/?kind=orphaned_accounts&status=done")
    real = api.get("/api/v1/job-runs/?kind=orphaned_accounts&status=done&dry_run=false")

    assert [row["id"] for row in response.json()["results"]] == [dry.pk, done.pk]  # newest first
    assert [row["id"] for row in real.json()["results"]] == [done.pk]


@pytest.mark.parametrize("query", ["kind=everything", "status=stuck", "dry_run=sometimes", "cursor=garbage"])
def test_bad_job_run_filters_are_a_400_or_404_never_a_500(api_as, query):
    response = api_as("auditor").get(f"/api/v1/job-runs/?{query}")

    assert response.status_code == (404 if query.startswith("cursor") else 400)


def test_an_auditor_reads_runs_and_alerts_and_can_start_and_acknowledge_nothing(api_as):
    alert = raise_alert("outbox.stuck", "Workers are down")
    run = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.DONE)
    api = api_as("auditor")

    assert api.get("/api/v1/job-runs/").status_code == 200
    assert api.get(f"/api/v1/job-runs/{run.pk}/").status_code == 200
    assert api.get("/api/v1/alerts/").json()["results"][0]["key"] == "outbox.stuck"
    assert api.post("/api/v1/job-runs/", {"kind": "orphaned_accounts"}, format="json").status_code == 403
    assert api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    assert JobRun.objects.count() == 1
    assert Alert.objects.get(pk=alert.pk).resolved_at is None


@pytest.mark.parametrize("role", ["learner", "manager", "instructor"])
def test_people_without_an_admin_role_get_403(api_as, role):
    alert = raise_alert("outbox.stuck", "Workers are down")
    api = api_as(role)

    assert api.get("/api/v1/job-runs/").status_code == 403
    assert api.get("/api/v1/alerts/").status_code == 403
    assert api.post("/api/v1/job-runs/", {"kind": "orphaned_accounts"}, format="json").status_code == 403
    assert api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403


def test_the_token_of_an_admin_who_lost_the_role_stops_working(api_as):
    api = api_as("ld-admin")
    assert api.get("/api/v1/job-runs/").status_code == 200

    remove_override(Override.objects.get(user=api.person), actor=Actor.system("tests"))

    assert api.get("/api/v1/job-runs/").status_code == 403
    assert api.post("/api/v1/job-runs/", {"kind": "orphaned_accounts"}, format="json").status_code == 403


def test_acknowledging_an_alert_closes_it_audited_and_a_repeat_changes_nothing(api_as):
    alert = raise_alert("outbox.stuck", "Workers are down")
    raise_alert("brake.inactive_access", "Safety brake")
    api = api_as("ld-admin")

    first = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    again = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")

    assert first.status_code == 200 and first.json()["resolved_at"] is not None
    assert again.status_code == 200 and again.json()["resolved_at"] == first.json()["resolved_at"]
    assert [a["key"] for a in api.get("/api/v1/alerts/").json()["results"]] == ["brake.inactive_access"]
    assert [a["key"] for a in api.get("/api/v1/alerts/?state=resolved").json()["results"]] == ["outbox.stuck"]
    event = AuditEvent.objects.get(action="alert.acknowledged")
    assert (event.actor_id, event.context["key"]) == (str(api.person.pk), "outbox.stuck")


def test_acknowledging_a_missing_alert_is_404_and_a_bad_state_filter_400(api_as):
    api = api_as("ld-admin")

    assert api.post("/api/v1/alerts/999999/acknowledge/").status_code == 404
    assert api.post("/api/v1/alerts/abc/acknowledge/").status_code == 404
    assert api.get("/api/v1/alerts/?state=closed").status_code == 400


def test_a_start_can_confirm_a_brake_share_for_that_run(api_as):
    response = api_as("ld-admin").post(
        "/api/v1/job-runs/", {"kind": "inactive_access", "confirm_share": 0.4}, format="json"
    )

    assert response.status_code == 202
    assert response.json()["params"] == {"confirm_share": 0.4}
    assert AuditEvent.objects.get(action="job_run.started").context["confirm_share"] == 0.4


def test_a_page_of_job_runs_or_alerts_costs_the_same_queries_however_many_rows(
    api_as, django_assert_num_queries
):
    api = api_as("auditor")
    api.get("/api/v1/job-runs/")
    for n in range(15):
        run = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.FAILED)
        raise_alert(f"job.failed.{run.pk}", f"run {n} failed", job_run=run)

    # token and person, the person's permissions (2), the page
    with django_assert_num_queries(4):
        runs = api.get("/api/v1/job-runs/?status=failed&page_size=50")
    with django_assert_num_queries(4):
        alerts = api.get("/api/v1/alerts/?page_size=50")

    assert len(runs.json()["results"]) == 15
    assert len(alerts.json()["results"]) == 15
