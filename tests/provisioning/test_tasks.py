"""Task behaviour: failures recorded once, transient faults retried, rule changes, alerts, resuming."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from courses.models import EntitlementRule
from lms_identity.models import OutboxEvent, User
from lms_identity.models.users import Source
from lms_identity.services import outbox
from lms_identity.services.lockout import deactivate_users
from provisioning import tasks
from provisioning.models import Alert, JobKind, JobRun, RunStatus
from provisioning.services.alerts import check_alerts, raise_alert
from provisioning.services.locks import DatabaseLease
from provisioning.services.outbox_dispatch import drain_outbox
from tests.factories import MembershipFactory, UserFactory

from .conftest import has_seat


@pytest.mark.django_db
def test_bad_input_fails_once_is_recorded_and_raises_an_alert(eager):
    result = tasks.reconcile_people.apply(kwargs={"user_ids": ["not-a-uuid"]})

    assert result.failed()
    run = JobRun.objects.get()
    assert (run.kind, run.status) == (JobKind.RECONCILE_PEOPLE, RunStatus.FAILED)
    assert run.params == {"task": "provisioning.reconcile_people", "user_ids": "1 items"}
    assert Alert.objects.filter(job_run=run, resolved_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_lost_database_connection_is_retried_and_the_run_resumes(eager, monkeypatch):
    person = UserFactory(connection=None, source=Source.JIT)
    User.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=365))
    calls = []

    def flaky(people, **kwargs):
        calls.append(people)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return deactivate_users(people, **kwargs)

    monkeypatch.setattr("provisioning.sweeps.orphaned_accounts.deactivate_users", flaky)
    result = tasks.run_job.apply(kwargs={"kind": JobKind.ORPHANED_ACCOUNTS})

    assert result.successful()
    run = JobRun.objects.get()
    assert run.status == RunStatus.DONE and run.attempts == 2 and run.counts["resumed"] == 1
    assert not User.objects.get(pk=person.pk).is_active
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_a_rule_change_event_recomputes_everyone_the_rule_affects(eager, seated_team, connection):
    pool, (first,) = seated_team(1)
    group = first.memberships.get().group
    newcomer = UserFactory(connection=connection)
    MembershipFactory(group=group, user=newcomer)  # written without an event, e.g. by a bulk import
    rule_id = EntitlementRule.objects.get().pk

    outbox.emit("rule.changed", {"rule_id": rule_id})
    drain_outbox()

    assert has_seat(newcomer, pool)
    run = JobRun.objects.get(kind=JobKind.RECOMPUTE_RULE)
    assert run.status == RunStatus.DONE and run.params == {"rule_id": rule_id}


@pytest.mark.django_db
def test_a_rule_change_arriving_while_that_rule_is_being_recomputed_is_tried_again_later(
    seated_team, settings
):
    seated_team(1)
    rule_id = EntitlementRule.objects.get().pk
    settings.REDIS_URL = ""  # the database lease stands in for the Redis lock
    other_worker = DatabaseLease(f"job:{JobKind.RECOMPUTE_RULE}:{rule_id}", 60)
    assert other_worker.acquire()

    with pytest.raises(Retry):
        tasks.recompute_rule(rule_id)

    other_worker.release()
    assert tasks.recompute_rule(rule_id)["status"] == RunStatus.DONE


@pytest.mark.django_db
def test_events_waiting_over_an_hour_raise_an_alert_which_closes_once_they_go(eager, connection):
    outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(UserFactory(connection=connection).pk)]})
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=61))

    check_alerts()
    alert = Alert.objects.get(key="outbox.stuck", resolved_at__isnull=True)
    assert "1 identity change(s) waiting over an hour" in alert.message

    drain_outbox()
    check_alerts()
    assert Alert.objects.get(pk=alert.pk).resolved_at is not None


@pytest.mark.django_db
def test_events_waiting_under_an_hour_raise_nothing(eager, connection):
    outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(UserFactory(connection=connection).pk)]})
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=59))

    check_alerts()

    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_the_same_alert_twice_is_one_open_alert(eager):
    raise_alert("brake.x", "first")
    raise_alert("brake.x", "second")

    alert = Alert.objects.get()
    assert (alert.occurrences, alert.message) == (2, "second")


@pytest.mark.django_db
def test_a_new_alert_is_posted_to_the_webhook(eager, settings, django_capture_on_commit_callbacks):
    received = []
    done = threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)  # a port the OS says is free: parallel runs never collide
    threading.Thread(target=server.handle_request, daemon=True).start()
    settings.ALERT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert("brake.inactive_access", "Safety brake: okta")
        assert done.wait(5)
    finally:
        server.server_close()

    assert received == [{"key": "brake.inactive_access", "text": "Safety brake: okta"}]


@pytest.mark.django_db
def test_a_run_queued_while_the_broker_was_down_is_started_later(eager):
    queued = JobRun.objects.create(kind=JobKind.DISABLED_CONNECTION)
    JobRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS)

    tasks.resume_job_runs.apply()

    assert JobRun.objects.get(pk=queued.pk).status == RunStatus.DONE
    assert JobRun.objects.get(pk=fresh.pk).status == RunStatus.QUEUED


@pytest.mark.django_db
def test_a_run_without_progress_for_an_hour_alerts_once_even_after_it_is_resolved(eager):
    JobRun.objects.create(
        kind=JobKind.RECONCILE_EVERYONE,
        status=RunStatus.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=90),
    )

    check_alerts()
    Alert.objects.update(resolved_at=timezone.now())
    check_alerts()

    assert Alert.objects.count() == 1
    assert "no progress for over an hour" in Alert.objects.get().message


@pytest.mark.django_db
def test_the_nightly_reconcile_repairs_a_grant_nobody_was_told_about(eager, seated_team, connection):
    pool, (first,) = seated_team(1)
    newcomer = UserFactory(connection=connection)
    MembershipFactory(group=first.memberships.get().group, user=newcomer)  # no event

    result = tasks.run_job.apply(kwargs={"kind": JobKind.RECONCILE_EVERYONE})

    assert result.successful()
    assert has_seat(newcomer, pool)
    run = JobRun.objects.get(kind=JobKind.RECONCILE_EVERYONE)
    assert run.status == RunStatus.DONE and run.processed == User.objects.count()


@pytest.mark.django_db
def test_every_job_has_a_beat_schedule_an_admin_can_edit():
    schedules = {t.name: (t.task, json.loads(t.kwargs)) for t in PeriodicTask.objects.all()}

    assert schedules["Drain the outbox"] == ("provisioning.drain_outbox", {})
    assert PeriodicTask.objects.get(name="Drain the outbox").interval.every == 5
    assert schedules["Nightly full reconcile"] == ("provisioning.run_job", {"kind": "reconcile_everyone"})
    for kind in (
        "inactive_access",
        "orphaned_accounts",
        "disabled_connection",
        "retention_purge",
        "unused_seats",
    ):
        assert ("provisioning.run_job", {"kind": kind}) in schedules.values()
