"""Running a walk of people (a sweep or a reconcile) as a recorded, resumable, locked, braked job.

Promise of `run_job`: at most one run of a kind at a time across all workers (a lease); a run resumes
the one a crashed worker left unfinished; a real run of a braked sweep checks the safety brake before its
first write and, if tripped, changes nothing, ends as "braked" and raises an alert; each chunk's changes
and the run's cursor commit together, so nothing is done twice; dry runs change nothing but the report.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from lms_identity.models import User
from lms_identity.services.audit import Actor, record_event
from provisioning import queue
from provisioning.errors import JobAlreadyRunning
from provisioning.models import UNFINISHED, JobKind, JobRun, RunStatus, SweepSettings, Trigger
from provisioning.sweeps.base import Sweep
from provisioning.sweeps.registry import get_sweep

from .alerts import raise_alert, resolve_alert
from .brake import Tripped, brake_message, check_brake, effective_share, over_share
from .locks import LockLost, job_lock

log = logging.getLogger("provisioning.jobs")

REPORT_SAMPLE = 200
Progress = Callable[[JobRun], None]


def transient_errors() -> tuple[type[BaseException], ...]:
    """Faults worth a retry: lost database or broker connections. Anything else fails once."""
    return (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeout, LockLost)


def get_sweep_settings(kind: str) -> SweepSettings:
    """The settings row of a kind, created with that sweep's defaults on first use."""
    sweep = get_sweep(kind)
    config, _ = SweepSettings.objects.get_or_create(kind=kind, defaults=dict(sweep.defaults))
    return config


def queue_job(kind: str, *, dry_run: bool, trigger: str, params: dict[str, Any] | None = None) -> JobRun:
    """Record a queued run and hand it to a worker after commit, without waiting on the broker (a queued
    run the broker never received is started by the next `resume_job_runs`)."""
    get_sweep(kind)
    run = JobRun.objects.create(kind=kind, dry_run=dry_run, trigger=trigger, params=params or {})
    transaction.on_commit(lambda: _publish_in_background(run.pk, kind))
    return run


def start_job(
    kind: str, *, dry_run: bool, trigger: str, actor: Actor, confirm_share: float | None = None
) -> JobRun:
    """Queue a run of this kind unless one is queued or running already (raises JobAlreadyRunning with
    it). Starts of a kind are serialized on its settings row, so two callers at once cannot both queue
    one. `confirm_share` lets this run past the brake up to that share (see brake.py). Audited as
    job_run.started with who asked."""
    params = {"confirm_share": confirm_share} if confirm_share is not None else {}
    with transaction.atomic():
        config = get_sweep_settings(kind)
        SweepSettings.objects.select_for_update().filter(pk=config.pk).first()
        running = JobRun.objects.filter(kind=kind, status__in=UNFINISHED).order_by("pk").first()
        if running is not None:
            raise JobAlreadyRunning(running)
        run = queue_job(kind, dry_run=dry_run, trigger=trigger, params=params)
        record_event(actor, "job_run.started", run, context={"kind": kind, "dry_run": dry_run, **params})
    return run


def _publish_in_background(run_id: int, kind: str) -> None:
    def publish() -> None:
        try:
            queue.publish(queue.RUN_JOB, {"kind": kind, "job_run_id": run_id})
        except Exception as exc:  # noqa: BLE001 - broker down: resume_job_runs will start it
            log.info("job run %s not published yet (%s)", run_id, exc.__class__.__name__)

    if settings.CELERY_TASK_ALWAYS_EAGER:
        publish()
    else:
        threading.Thread(target=publish, daemon=True, name=f"queue-job-{run_id}").start()


def run_job(
    kind: str,
    *,
    dry_run: bool = False,
    trigger: str = Trigger.BEAT,
    params: dict[str, Any] | None = None,
    job_run_id: int | None = None,
    on_progress: Progress | None = None,
) -> JobRun | None:
    """Run (or resume) a job of this kind. Returns its JobRun, or None when another worker holds the
    lease (a given queued run is then marked skipped)."""
    sweep = get_sweep(kind)
    lock_name = (
        f"job:{kind}" if kind != JobKind.RECOMPUTE_RULE else f"job:{kind}:{(params or {}).get('rule_id')}"
    )
    with job_lock(lock_name) as lease:
        if lease is None:
            if job_run_id is not None:
                JobRun.objects.filter(pk=job_run_id, status=RunStatus.QUEUED).update(
                    status=RunStatus.SKIPPED, finished_at=timezone.now()
                )
            log.info("%s already running elsewhere; skipped", kind)
            return None
        run = _claim_run(kind, dry_run=dry_run, trigger=trigger, params=params, job_run_id=job_run_id)
        if run.status != RunStatus.RUNNING:
            return run  # a queued run that was already finished or skipped
        try:
            _walk(sweep, run, lease_extend=lease.extend, on_progress=on_progress)
        except transient_errors() as exc:
            # Left "running": the retry (or the next scheduled run) resumes from the cursor.
            JobRun.objects.filter(pk=run.pk).update(
                error=f"interrupted: {exc.__class__.__name__}: {exc}"[:2000]
            )
            raise
        except Exception as exc:
            _fail(run, exc)
            raise
    run.refresh_from_db()
    return run


def _claim_run(
    kind: str, *, dry_run: bool, trigger: str, params: dict[str, Any] | None, job_run_id: int | None
) -> JobRun:
    """Holding the lease: the given run, or the run a crashed worker left running, or a new one."""
    now = timezone.now()
    with transaction.atomic():
        if job_run_id is not None:
            run = JobRun.objects.select_for_update().get(pk=job_run_id)
            if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
                return run
        else:
            run = (
                JobRun.objects.select_for_update()
                .filter(kind=kind, status=RunStatus.RUNNING, dry_run=dry_run, params=params or {})
                .order_by("pk")
                .first()
            ) or JobRun(kind=kind, dry_run=dry_run, trigger=trigger, params=params or {})
        resumed = run.status == RunStatus.RUNNING
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or now
        run.heartbeat_at = now
        run.attempts += 1
        if resumed:
            run.counts = {**run.counts, "resumed": int(run.counts.get("resumed", 0)) + 1}
        run.save()
    return run


def _walk(
    sweep: Sweep, run: JobRun, *, lease_extend: Callable[[], None], on_progress: Progress | None
) -> None:
    config = get_sweep_settings(sweep.kind)
    unavailable = sweep.unavailable()
    if unavailable or not config.enabled:
        _finish(run, RunStatus.DONE, counts={"skipped": unavailable or "disabled in Sweep settings"})
        return
    candidates = sweep.candidates(config, run.params)
    if run.total is None:
        run.total = candidates.count()
        JobRun.objects.filter(pk=run.pk).update(total=run.total)
    fresh = not run.cursor and not run.processed
    if fresh and sweep.braked:
        # Counted once at the setting; a confirmed share (never below it) lets some of those through.
        at_setting = check_brake(candidates, config)
        tripped = over_share(at_setting, effective_share(config, run.params))
        if tripped and not run.dry_run:
            _brake(run, tripped)
            return
        if tripped:
            run.report["brake_would_stop"] = tripped
        elif "confirm_share" in run.params and not run.dry_run:
            _confirm_brake(run, at_setting)
    actor = Actor.system(f"{'dry run of ' if run.dry_run else ''}{sweep.kind} #{run.pk}")
    deadline = time.monotonic() + settings.JOB_MAX_SECONDS
    counts: Counter[str] = Counter({k: v for k, v in run.counts.items() if isinstance(v, int)})
    while True:
        rows = candidates.order_by("pk")
        if run.cursor:
            rows = rows.filter(pk__gt=run.cursor)
        chunk = list(rows[: config.chunk_size])
        if not chunk:
            break
        if run.dry_run:
            would = sweep.dry_run_counts(chunk, config=config)
            if would["would_act_on"]:
                _report_chunk(sweep, run, chunk)
            counts.update(would)
            _save_progress(run, chunk, counts)
        else:
            with transaction.atomic():
                counts.update(sweep.act(chunk, actor=actor, config=config))
                _save_progress(run, chunk, counts)
        lease_extend()
        if on_progress:
            on_progress(run)
        if run.processed >= config.max_actions_per_run or time.monotonic() > deadline:
            if candidates.filter(pk__gt=run.cursor).exists():
                counts["more_remain"] = 1
            break
    _finish(run, RunStatus.DONE, counts=dict(counts))
    if run.report.get("brake_confirmed") and not run.dry_run:
        resolve_alert(f"brake.{sweep.kind}")  # the braked run this one confirmed is dealt with


def _confirm_brake(run: JobRun, overridden: Tripped) -> None:
    """A confirmed share let through a run the setting would have stopped: say so in the report and
    the audit trail (who asked is in the run's start event)."""
    if not overridden:
        return
    share = run.params["confirm_share"]
    run.report["brake_confirmed"] = {"share": share, "would_have_stopped": overridden}  # saved with the run
    record_event(
        Actor.system(f"{run.kind} #{run.pk}"),
        "job_run.brake_confirmed",
        run,
        context={"kind": run.kind, "share": share, "would_have_stopped": overridden},
    )


def _save_progress(run: JobRun, chunk: list[User], counts: Counter[str]) -> None:
    """Inside the chunk's transaction: the cursor moves only if the chunk's changes commit."""
    run.cursor = str(chunk[-1].pk)
    run.processed += len(chunk)
    run.heartbeat_at = timezone.now()
    run.counts = {**{k: v for k, v in run.counts.items() if not isinstance(v, int)}, **counts}
    run.save(update_fields=["cursor", "processed", "heartbeat_at", "counts", "report"])


def _report_chunk(sweep: Sweep, run: JobRun, chunk: list[User]) -> None:
    sample = run.report.setdefault("sample", [])
    by_connection = run.report.setdefault("by_connection", {})
    for user in chunk:
        if len(sample) < REPORT_SAMPLE:
            sample.append(sweep.describe(user))
        key = str(user.connection_id or "none")
        by_connection[key] = by_connection.get(key, 0) + 1


def _brake(run: JobRun, tripped: Tripped) -> None:
    message = brake_message(run.kind, run.get_kind_display(), tripped)
    _finish(run, RunStatus.BRAKED, counts={"brake": tripped}, error=message)
    raise_alert(f"brake.{run.kind}", message, job_run=run)


def _fail(run: JobRun, exc: Exception) -> None:
    message = f"{exc.__class__.__name__}: {exc}"[:2000]
    _finish(run, RunStatus.FAILED, error=message)
    raise_alert(
        f"job.failed.{run.pk}", f"{run.get_kind_display()} #{run.pk} failed: {message[:300]}", job_run=run
    )


def _finish(run: JobRun, status: str, *, counts: dict[str, Any] | None = None, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    if counts is not None:
        run.counts = {**run.counts, **counts}
    run.error = error or run.error
    run.save(update_fields=["status", "finished_at", "counts", "error", "report", "total"])


def resume_job_runs() -> dict[str, int]:
    """Start queued runs the broker never delivered (queued over a minute ago) and resume runs a dead
    worker left running (no heartbeat for twice the lock's lifetime). Idempotent: the lease makes a
    duplicate start a no-op."""
    now = timezone.now()
    queued = JobRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=now - timedelta(minutes=1))
    stale = JobRun.objects.filter(
        status=RunStatus.RUNNING, heartbeat_at__lt=now - timedelta(seconds=2 * settings.JOB_LOCK_TTL)
    )
    started = 0
    for run in [*queued, *stale]:
        if run.kind == JobKind.ACCOUNT_IMPORT:  # not a walk of people: its own task (account_imports)
            queue.publish(queue.IMPORT_ACCOUNTS, {"job_run_id": run.pk}, retry=True)
        else:
            queue.publish(
                queue.RUN_JOB, {"kind": run.kind, "job_run_id": run.pk, "params": run.params}, retry=True
            )
        started += 1
    return {"started": started}


TASK_KINDS = {
    "provisioning.reconcile_people": JobKind.RECONCILE_PEOPLE,
    "provisioning.drain_outbox": JobKind.OUTBOX_DISPATCH,
}


def record_task_failure(task_name: str, kwargs: dict[str, Any], exc: BaseException) -> JobRun | None:
    """A task that failed for good (bad input, or retries exhausted): record a failed JobRun with a
    summary of its input, and raise an alert. Runs and rule recomputes record their own JobRun."""
    if task_name in ("provisioning.run_job", "provisioning.recompute_rule"):
        return None
    params = {k: (f"{len(v)} items" if isinstance(v, list | dict) else v) for k, v in kwargs.items()}
    now = timezone.now()
    run = JobRun.objects.create(
        kind=TASK_KINDS.get(task_name, JobKind.MAINTENANCE),
        trigger=Trigger.EVENT,
        status=RunStatus.FAILED,
        params={"task": task_name, **params},
        started_at=now,
        finished_at=now,
        error=f"{exc.__class__.__name__}: {exc}"[:2000],
    )
    raise_alert(f"job.failed.{run.pk}", f"Task {task_name} failed: {run.error[:300]}", job_run=run)
    return run
