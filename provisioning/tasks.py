"""Celery tasks: thin wrappers that take ids and plain values, call one service, return counts.

Every task acks late (a worker lost mid-task means redelivery), retries with exponential backoff only on
lost database or broker connections, and has time limits. Idempotent by construction: the dispatcher
claims rows, the reconciler is level-triggered, and walks resume from their cursor.
"""

import logging
from typing import Any

from celery import Task, shared_task

from courses.reconcile import reconcile_people as reconcile
from lms_identity.services import audit_chain, break_glass, session_expiry
from lms_identity.services.audit import Actor
from provisioning.dashboard_snapshot import refresh_dashboard as refresh_dashboard_snapshot
from provisioning.models import JobKind, Trigger
from provisioning.services import (
    account_imports,
    alerts,
    job_runs,
    latency,
    outbox_dispatch,
    pool_alerts,
    request_log,
)
from provisioning.services.job_runs import transient_errors

log = logging.getLogger("provisioning.tasks")


class RecordedTask(Task):
    """Records a task that failed for good as a failed JobRun with an alert (shown in the admin)."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        try:
            job_runs.record_task_failure(self.name, dict(kwargs or {}), exc)
        except Exception:  # noqa: BLE001 - the database may be what failed; the worker log still has it
            log.exception("could not record the failure of %s", self.name)


RETRY = {
    "base": RecordedTask,
    "autoretry_for": transient_errors(),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="provisioning.drain_outbox", soft_time_limit=120, time_limit=150, **RETRY)
def drain_outbox() -> dict[str, int]:
    """Dispatch every pending outbox event as coalesced tasks. Safe on many workers at once."""
    return outbox_dispatch.drain_outbox()


@shared_task(name="provisioning.reconcile_people", soft_time_limit=600, time_limit=660, **RETRY)
def reconcile_people(user_ids: list[str], leavers: dict[str, list[Any]] | None = None) -> dict[str, int]:
    """Recompute these people's grants (seats freed, access suspended for leavers), then record the
    leavers' deprovisioning latency. Idempotent: a repeat changes nothing and records nothing new."""
    summary = reconcile(user_ids, actor=Actor.system("outbox"))
    if leavers:
        summary["latency_recorded"] = latency.record_seats_reclaimed(leavers)
    return summary


RULE_BUSY_RETRY_SECONDS = 30
RULE_BUSY_MAX_RETRIES = 120


@shared_task(name="provisioning.recompute_rule", bind=True, soft_time_limit=3000, time_limit=3300, **RETRY)
def recompute_rule(self: Task, rule_id: int) -> dict[str, Any]:
    """Recompute everyone a rule affects (a recorded, resumable walk). While a walk of the same rule is
    under way, try again later rather than drop the request: that walk chose its people before this
    change of the rule, so people only the change affects would otherwise wait for the nightly run."""
    run = job_runs.run_job(JobKind.RECOMPUTE_RULE, trigger=Trigger.EVENT, params={"rule_id": rule_id})
    if run is None and not self.request.is_eager:
        raise self.retry(countdown=RULE_BUSY_RETRY_SECONDS, max_retries=RULE_BUSY_MAX_RETRIES)
    return _summary(run)


@shared_task(name="provisioning.run_job", soft_time_limit=3000, time_limit=3300, **RETRY)
def run_job(
    kind: str,
    dry_run: bool = False,
    trigger: str = Trigger.BEAT,
    job_run_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run or resume one sweep or reconcile walk (beat, the admin's "run now"/"dry run", a command).
    One at a time per kind across workers; the others return {"skipped": ...}."""
    run = job_runs.run_job(kind, dry_run=dry_run, trigger=trigger, job_run_id=job_run_id, params=params)
    return _summary(run)


@shared_task(name="provisioning.check_alerts", soft_time_limit=120, time_limit=150, **RETRY)
def check_alerts() -> dict[str, int]:
    """Raise alerts for outbox events and jobs failing for over an hour, and open or resolve the license
    pools' 75 % and 100 % alerts."""
    return {**alerts.check_alerts(), **pool_alerts.sync_pool_alerts()}


@shared_task(name="provisioning.refresh_dashboard", soft_time_limit=120, time_limit=150, **RETRY)
def refresh_dashboard() -> dict[str, int]:
    """Recompute the dashboard's figures and charts and keep them for page views (reads only)."""
    snapshot = refresh_dashboard_snapshot()
    return {"pools": len(snapshot.figures["seats"])}


@shared_task(name="provisioning.resume_job_runs", soft_time_limit=60, time_limit=90, **RETRY)
def resume_job_runs() -> dict[str, int]:
    """Start queued runs the broker lost and resume runs a dead worker left behind."""
    return job_runs.resume_job_runs()


@shared_task(name="provisioning.checkpoint_audit", soft_time_limit=300, time_limit=330, **RETRY)
def checkpoint_audit() -> dict[str, int]:
    """Seal pending audit events, then log a signed checkpoint of the chain head (one per run)."""
    checkpoint = audit_chain.write_checkpoint()
    return {"seq": checkpoint.seq}


@shared_task(name="provisioning.seal_audit", soft_time_limit=120, time_limit=150, acks_late=True)
def seal_audit() -> dict[str, int]:
    """Chain the audit events committed since the last seal (nudged after commits, provisioning/nudges.py).
    Not retried and not recorded as a failed job: it runs several times a second under writes, each run
    takes every pending event, and the per-minute checkpoint_audit seals whatever one run left."""
    return {"sealed": audit_chain.seal_pending()}


@shared_task(name="provisioning.purge_request_log", soft_time_limit=300, time_limit=330, **RETRY)
def purge_request_log() -> dict[str, int]:
    """Delete SCIM request-log rows older than SCIM_REQUEST_LOG_DAYS (bounded; the next run continues)."""
    return {"deleted": request_log.purge_request_log()}


@shared_task(name="provisioning.close_break_glass_windows", soft_time_limit=60, time_limit=90, **RETRY)
def close_break_glass_windows() -> dict[str, int]:
    """Close the break-glass windows that passed and end the account's sessions they covered."""
    return break_glass.close_break_glass_windows(actor=Actor.system("break-glass-windows"))


@shared_task(name="provisioning.end_expired_sessions", soft_time_limit=240, time_limit=270, **RETRY)
def end_expired_sessions() -> dict[str, int]:
    """End the sessions past their idle timeout, absolute lifetime or cookie lifetime that no request
    ended (bounded per run; the next run goes on)."""
    return session_expiry.end_expired_sessions(actor=Actor.system("session-expiry"))


def _summary(run: Any) -> dict[str, Any]:
    if run is None:
        return {"skipped": "another run of this job is in progress"}
    return {"job_run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(name="provisioning.import_accounts", soft_time_limit=3000, time_limit=3300, **RETRY)
def import_accounts(job_run_id: int) -> dict[str, Any]:
    """Run a queued clean-up import (its rows are on the JobRun); resumes where a lost worker stopped."""
    return account_imports.run_account_import(job_run_id)
