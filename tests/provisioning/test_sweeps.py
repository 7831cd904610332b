"""Deprovisioning sweeps: who they act on, who they leave alone, dry runs, the brake, resuming."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import LicensePool
from lms_identity.models import AuditEvent, IdpConnection, OutboxEvent, User, UserSession
from lms_identity.models.oidc import SubjectLink
from lms_identity.models.users import Source
from lms_identity.services.users import delete_user
from provisioning.models import Alert, JobKind, JobRun, PurgedPerson, RunStatus, SweepSettings
from provisioning.services.job_runs import get_sweep_settings, run_job
from provisioning.services.locks import DatabaseLease
from provisioning.sweeps.registry import get_sweep
from tests.factories import UserFactory, session_for

from .conftest import has_seat

LONG_AGO = timezone.now() - timedelta(days=200)


def orphan(**extra):
    user = UserFactory(connection=None, source=Source.JIT, **extra)
    User.objects.filter(pk=user.pk).update(last_login=LONG_AGO, created_at=LONG_AGO)
    return user


def deactivations_of(user):
    return AuditEvent.objects.filter(action="user.deactivated", target_id=str(user.pk)).count()


@pytest.mark.django_db
def test_orphaned_accounts_are_deactivated_and_backed_or_recent_ones_are_left_alone(eager, connection):
    stale = orphan()
    never_signed_in = UserFactory(connection=None, source=Source.MANUAL)
    User.objects.filter(pk=never_signed_in.pk).update(created_at=LONG_AGO)
    backed = UserFactory(connection=connection, source=Source.SCIM)
    User.objects.filter(pk=backed.pk).update(last_login=LONG_AGO)
    recent = UserFactory(connection=None, source=Source.JIT)
    User.objects.filter(pk=recent.pk).update(last_login=timezone.now(), created_at=LONG_AGO)
    staff = orphan(is_staff=True)

    run = run_job(JobKind.ORPHANED_ACCOUNTS)

    assert run.status == RunStatus.DONE
    assert run.counts["deactivated"] == 2
    for person in (stale, never_signed_in):
        assert not User.objects.get(pk=person.pk).is_active
    for person in (backed, recent, staff):
        assert User.objects.get(pk=person.pk).is_active


@pytest.mark.django_db
def test_a_person_who_signs_in_after_the_sweep_chose_them_is_left_alone(system_actor):
    sweep = get_sweep(JobKind.ORPHANED_ACCOUNTS)
    config = get_sweep_settings(JobKind.ORPHANED_ACCOUNTS)
    returning, gone = orphan(), orphan()
    chosen = list(sweep.candidates(config, {}))
    User.objects.filter(pk=returning.pk).update(last_login=timezone.now())

    counts = sweep.act(chosen, actor=system_actor, config=config)

    assert counts["deactivated"] == 1
    assert User.objects.get(pk=returning.pk).is_active is True
    assert User.objects.get(pk=gone.pk).is_active is False


@pytest.mark.django_db
def test_a_dry_run_reports_who_would_be_acted_on_and_changes_nothing(eager):
    people = [orphan() for _ in range(3)]

    run = run_job(JobKind.ORPHANED_ACCOUNTS, dry_run=True)

    assert run.counts["would_act_on"] == 3
    assert {row["id"] for row in run.report["sample"]} == {str(p.pk) for p in people}
    assert User.objects.filter(pk__in=[p.pk for p in people], is_active=True).count() == 3
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


@pytest.mark.django_db
def test_a_second_run_does_nothing_twice(eager):
    person = orphan()

    run_job(JobKind.ORPHANED_ACCOUNTS)
    again = run_job(JobKind.ORPHANED_ACCOUNTS)

    assert again.processed == 0
    assert deactivations_of(person) == 1


@pytest.mark.django_db
def test_people_of_a_disabled_connection_are_deactivated_others_are_not(eager, connection, other_connection):
    gone = [UserFactory(connection=connection) for _ in range(3)]
    kept = UserFactory(connection=other_connection)
    key = session_for(gone[0])
    IdpConnection.objects.filter(pk=connection.pk).update(enabled=False)

    run = run_job(JobKind.DISABLED_CONNECTION)

    assert run.counts["deactivated"] == 3
    assert not User.objects.filter(connection=connection, is_active=True).exists()
    assert User.objects.get(pk=kept.pk).is_active
    assert not UserSession.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_inactive_people_lose_leftover_sessions_and_seats(eager, seated_team):
    pool, (leaver, stayer) = seated_team(2)
    User.objects.filter(pk=leaver.pk).update(is_active=False)  # e.g. a bulk fix in the database
    key = session_for(leaver)
    stayer_key = session_for(stayer)

    run = run_job(JobKind.INACTIVE_ACCESS)

    assert run.counts["people"] == 1
    assert not UserSession.objects.filter(session_key=key).exists()
    swept = AuditEvent.objects.get(action="session.ended")
    assert (swept.target_id, swept.context["cause"], swept.context["sessions_ended"]) == (
        str(leaver.pk),
        "sweep",
        1,
    )
    assert not has_seat(leaver, pool)
    assert has_seat(stayer, pool)
    assert UserSession.objects.filter(session_key=stayer_key).exists()


@pytest.mark.django_db
def test_the_brake_stops_a_sweep_when_a_connection_marks_80_percent_inactive(eager, seated_team, connection):
    pool, people = seated_team(50)
    User.objects.filter(pk__in=[p.pk for p in people[:40]]).update(is_active=False)

    run = run_job(JobKind.INACTIVE_ACCESS)

    assert run.status == RunStatus.BRAKED
    assert run.counts["brake"] == [{"connection": connection.pk, "acting": 40, "people": 50}]
    assert all(has_seat(p, pool) for p in people)  # nothing changed
    alert = Alert.objects.get(resolved_at__isnull=True)
    assert "Safety brake" in alert.message and "okta: 40 of 50" in alert.message


@pytest.mark.django_db
def test_the_brake_lets_a_normal_share_through(eager, seated_team):
    pool, people = seated_team(50)
    User.objects.filter(pk__in=[p.pk for p in people[:5]]).update(is_active=False)

    run = run_job(JobKind.INACTIVE_ACCESS)

    assert run.status == RunStatus.DONE
    assert sum(has_seat(p, pool) for p in people) == 45
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_says_the_brake_would_stop_the_real_run(eager, seated_team, connection):
    pool, people = seated_team(20)
    User.objects.filter(pk__in=[p.pk for p in people[:15]]).update(is_active=False)

    run = run_job(JobKind.INACTIVE_ACCESS, dry_run=True)

    assert run.status == RunStatus.DONE
    assert run.report["brake_would_stop"][0]["acting"] == 15
    assert all(has_seat(p, pool) for p in people)


@pytest.mark.django_db
def test_a_run_left_by_a_crashed_worker_resumes_after_its_cursor(eager):
    SweepSettings.objects.update_or_create(kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 2})
    people = sorted((orphan() for _ in range(6)), key=lambda u: u.pk)
    # A worker died after committing the first chunk: those two are done, the cursor points at them.
    for person in people[:2]:
        User.objects.filter(pk=person.pk).update(is_active=False)
    crashed = JobRun.objects.create(
        kind=JobKind.ORPHANED_ACCOUNTS, status=RunStatus.RUNNING, cursor=str(people[1].pk), processed=2
    )

    run = run_job(JobKind.ORPHANED_ACCOUNTS)

    assert run.pk == crashed.pk
    assert run.status == RunStatus.DONE and run.processed == 6 and run.counts["resumed"] == 1
    assert [deactivations_of(p) for p in people] == [0, 0, 1, 1, 1, 1]


@pytest.mark.django_db
def test_a_run_is_bounded_and_the_next_one_continues(eager):
    SweepSettings.objects.update_or_create(
        kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 2, "max_actions_per_run": 4}
    )
    people = [orphan() for _ in range(6)]

    first = run_job(JobKind.ORPHANED_ACCOUNTS)
    second = run_job(JobKind.ORPHANED_ACCOUNTS)

    assert (first.counts["deactivated"], first.counts["more_remain"]) == (4, 1)
    assert second.counts["deactivated"] == 2
    assert not User.objects.filter(pk__in=[p.pk for p in people], is_active=True).exists()


@pytest.mark.django_db
def test_a_sweep_held_by_another_worker_is_skipped(eager):
    person = orphan()
    queued = JobRun.objects.create(kind=JobKind.ORPHANED_ACCOUNTS)
    other_worker = DatabaseLease(f"job:{JobKind.ORPHANED_ACCOUNTS}", 60)
    assert other_worker.acquire()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("provisioning.services.locks.settings.REDIS_URL", "")
        result = run_job(JobKind.ORPHANED_ACCOUNTS, job_run_id=queued.pk)

    assert result is None
    assert JobRun.objects.get(pk=queued.pk).status == RunStatus.SKIPPED
    assert User.objects.get(pk=person.pk).is_active


@pytest.mark.django_db
def test_a_failing_sweep_is_recorded_and_raises_an_alert(eager, monkeypatch):
    orphan()

    def broken(*args, **kwargs):
        raise ValueError("bad data")

    monkeypatch.setattr("provisioning.sweeps.orphaned_accounts.deactivate_users", broken)
    with pytest.raises(ValueError):
        run_job(JobKind.ORPHANED_ACCOUNTS)

    run = JobRun.objects.get()
    assert run.status == RunStatus.FAILED and "bad data" in run.error
    assert Alert.objects.filter(job_run=run, resolved_at__isnull=True).exists()


@pytest.mark.django_db
def test_soft_deleted_people_past_retention_are_purged_and_their_audit_kept_under_a_pseudonym(
    eager, connection, system_actor
):
    old = UserFactory(connection=connection, given_name="Ada", family_name="Lovelace", display_name="Ada L")
    recent = UserFactory(connection=connection)
    SubjectLink.objects.create(connection=connection, sub="00u-ada-okta", user=old)
    delete_user(old, actor=system_actor)
    delete_user(recent, actor=system_actor)
    User.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    events_before = AuditEvent.objects.filter(target_id=str(old.pk)).count()

    run = run_job(JobKind.RETENTION_PURGE)

    purged = User.objects.get(pk=old.pk)
    pseudonym = PurgedPerson.objects.get(user_id=old.pk).pseudonym
    assert run.counts["purged"] == 1
    assert purged.user_name == pseudonym and purged.email == "" and purged.given_name == ""
    trail = AuditEvent.objects.filter(target_id=str(old.pk))
    assert trail.count() == events_before + 1
    assert set(trail.values_list("target_label", flat=True)) == {pseudonym}
    assert "Lovelace" not in str(list(trail.values_list("changes", flat=True)))
    assert User.objects.get(pk=recent.pk).user_name == recent.user_name
    assert not SubjectLink.objects.filter(sub="00u-ada-okta").exists()


@pytest.mark.django_db
def test_unused_seats_are_reclaimed_once_enabled_and_used_ones_kept(eager, seated_team):
    pool, (idle, busy) = seated_team(2)
    from courses.models import Grant

    Grant.objects.filter(pool=pool).update(created_at=LONG_AGO)
    User.objects.filter(pk=idle.pk).update(last_login=LONG_AGO)
    User.objects.filter(pk=busy.pk).update(last_login=timezone.now())

    disabled = run_job(JobKind.UNUSED_SEATS)
    assert "disabled" in disabled.counts["skipped"] and has_seat(idle, pool)

    SweepSettings.objects.filter(kind=JobKind.UNUSED_SEATS).update(enabled=True, days=60)
    run = run_job(JobKind.UNUSED_SEATS)

    assert run.counts["seats_reclaimed"] == 1
    assert not has_seat(idle, pool)
    assert has_seat(busy, pool)
    assert isinstance(pool, LicensePool)


@pytest.mark.django_db
def test_a_sweep_chunk_takes_a_fixed_number_of_queries_and_emits_one_event(
    eager, django_assert_max_num_queries
):
    SweepSettings.objects.update_or_create(
        kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 100, "brake_share": 1.0}
    )
    people = [orphan() for _ in range(60)]
    for person in people[:10]:
        session_for(person)

    with django_assert_max_num_queries(40):
        run_job(JobKind.ORPHANED_ACCOUNTS)

    assert not UserSession.objects.filter(user__in=people).exists()
    event = OutboxEvent.objects.get(kind="user.deactivated")
    assert sorted(event.payload["user_ids"]) == sorted(str(p.pk) for p in people)
    reasons = AuditEvent.objects.filter(action="user.deactivated").values_list("context", flat=True)
    assert {r["reason"] for r in reasons} == {"no IdP record and no sign-in for 90 days"}
    assert sum(r["sessions_ended"] for r in reasons) == 10


@pytest.mark.django_db
def test_a_run_that_ends_at_its_bound_with_nobody_left_does_not_say_more_remain(eager):
    SweepSettings.objects.update_or_create(
        kind=JobKind.ORPHANED_ACCOUNTS, defaults={"chunk_size": 2, "max_actions_per_run": 4}
    )
    for _ in range(4):
        orphan()

    run = run_job(JobKind.ORPHANED_ACCOUNTS)

    assert run.counts["deactivated"] == 4
    assert "more_remain" not in run.counts
