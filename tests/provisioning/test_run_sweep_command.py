"""`run_sweep` exits with a code a script can act on: 0 done, 1 failed, 2 wrong usage, 3 braked,
4 already running; `--confirm-share` lets one braked run through, explicitly and audited."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms_identity.models import AuditEvent, User
from lms_identity.models.users import Source
from provisioning.models import Alert, JobKind, JobRun, RunStatus, SweepSettings
from provisioning.services.locks import job_lock
from provisioning.sweeps.orphaned_accounts import OrphanedAccountsSweep
from tests.factories import UserFactory
from tests.provisioning.conftest import has_seat

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def an_orphan():
    person = UserFactory(connection=None, source=Source.JIT)
    User.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=365))
    return person


def exit_code(*args):
    """The code `manage.py run_sweep ARGS` exits with (CommandError.returncode; 0 when it returns)."""
    try:
        call_command("run_sweep", *args)
    except CommandError as error:
        return error.returncode
    return 0


@pytest.fixture
def leavers(seated_team, eager):
    """50 seated people of the test connection, 40 of them deactivated: more than the brake's 20 %."""
    pool, people = seated_team(50)
    User.objects.filter(pk__in=[p.pk for p in people[:40]]).update(is_active=False)
    return pool, people


def test_a_finished_run_exits_0(capsys):
    orphan = an_orphan()

    assert exit_code("orphaned_accounts") == 0
    assert "Done" in capsys.readouterr().out
    assert not User.objects.get(pk=orphan.pk).is_active


def test_a_braked_run_exits_3_and_changes_nothing(leavers, capsys):
    pool, people = leavers

    assert exit_code("inactive_access") == 3
    assert JobRun.objects.get().status == RunStatus.BRAKED
    assert all(has_seat(p, pool) for p in people)
    assert "run_sweep inactive_access --confirm-share 0.8" in Alert.objects.get().message


def test_confirm_share_lets_the_braked_run_through_resolves_its_alert_and_is_audited(leavers):
    pool, people = leavers
    exit_code("inactive_access")

    code = exit_code("inactive_access", "--confirm-share", "0.8")

    assert code == 0
    assert sum(has_seat(p, pool) for p in people) == 10
    run = JobRun.objects.filter(status=RunStatus.DONE).get()
    assert run.params == {"confirm_share": 0.8}
    assert run.report["brake_confirmed"]["would_have_stopped"][0]["acting"] == 40
    assert not Alert.objects.filter(key="brake.inactive_access", resolved_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="job_run.brake_confirmed")
    assert (event.target_id, event.context["share"]) == (str(run.pk), 0.8)


def test_a_confirmed_share_below_what_the_run_needs_still_brakes(leavers):
    pool, people = leavers

    assert exit_code("inactive_access", "--confirm-share", "0.5") == 3
    assert all(has_seat(p, pool) for p in people)
    assert not AuditEvent.objects.filter(action="job_run.brake_confirmed").exists()


def test_confirm_share_is_for_one_run_and_leaves_the_sweep_settings_alone(leavers):
    exit_code("inactive_access", "--confirm-share", "0.8")

    assert SweepSettings.objects.get(kind=JobKind.INACTIVE_ACCESS).brake_share == 0.2


def test_a_run_while_another_holds_the_lock_exits_4_and_records_nothing():
    an_orphan()

    with job_lock(f"job:{JobKind.ORPHANED_ACCOUNTS}") as lease:
        assert lease is not None
        code = exit_code("orphaned_accounts")

    assert code == 4
    assert not JobRun.objects.exists()


def test_a_failing_run_exits_1_and_is_recorded_failed(monkeypatch):
    an_orphan()

    def broken(self, people, *, actor, config):
        raise RuntimeError("the directory went away")

    monkeypatch.setattr(OrphanedAccountsSweep, "act", broken)

    assert exit_code("orphaned_accounts") == 1
    run = JobRun.objects.get()
    assert (run.status, run.error) == (RunStatus.FAILED, "RuntimeError: the directory went away")


@pytest.mark.parametrize(
    "args",
    [
        ("inactive_access", "--confirm-share", "0"),
        ("inactive_access", "--confirm-share", "1.5"),
        ("inactive_access", "--confirm-share", "lots"),
        ("inactive_access", "--confirm-share", "nan"),
        ("unused_seats", "--confirm-share", "0.5"),
        ("recompute_rule",),
    ],
)
def test_wrong_usage_exits_2_and_runs_nothing(args):
    assert exit_code(*args) == 2
    assert not JobRun.objects.exists()


def test_an_unknown_sweep_exits_2_from_the_shell():
    env = {**os.environ, "SECRET_KEY": "t"}

    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "run_sweep", "everything"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "invalid choice: 'everything'" in result.stderr
