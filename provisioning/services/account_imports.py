"""The clean-up import as a recorded job: the admin's preview is a dry-run JobRun holding the file's rows
and its report; applying it imports the rows inline when there are few, or on a worker with its
progress on the run's page when there are many (settings.ACCOUNT_IMPORT_INLINE_ROWS).

The rows are imported by the core's services (lms_identity/services/account_cleanup.py), one
transaction each; the run's `processed` moves with them, in the same transaction as nothing else, so a
run resumed after a lost worker starts at the first row not done (a repeat of a row is a no-op anyway).
"""

import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lms_identity.cleanup.files import AccountRow, RowError
from lms_identity.cleanup.report import CleanupReport
from lms_identity.services.account_cleanup import (
    ImportSummary,
    count_outcome,
    import_row,
    merge_duplicates,
)
from lms_identity.services.audit import Actor
from provisioning import queue
from provisioning.errors import PreviewAlreadyApplied
from provisioning.models import JobKind, JobRun, RunStatus, Trigger

log = logging.getLogger("provisioning.jobs")

PROGRESS_EVERY = 100
SKIPPED_SHOWN = 200


def record_preview(
    rows: list[AccountRow], invalid: list[RowError], report: CleanupReport, *, file_name: str, actor: Actor
) -> JobRun:
    """Record the admin's dry run: a finished dry-run JobRun holding the rows (to apply later without
    the file) and the report's figures."""
    now = timezone.now()
    return JobRun.objects.create(
        kind=JobKind.ACCOUNT_IMPORT,
        trigger=Trigger.ADMIN,
        dry_run=True,
        status=RunStatus.DONE,
        started_at=now,
        finished_at=now,
        total=len(rows),
        processed=len(rows),
        params={"file_name": file_name[:200], "actor": actor.label, "rows": [asdict(r) for r in rows]},
        counts={
            "would_create": report.to_create,
            "would_update": report.to_update,
            "invalid_rows": len(invalid),
            "duplicate_groups": len(report.groups),
            "blocked_groups": sum(1 for g in report.groups if g.blocked),
        },
        report={"readiness": [r.summary for r in report.readiness]},
    )


def apply_preview(preview: JobRun, *, actor: Actor) -> JobRun:
    """Start the real import of a previewed file: inline when it has at most ACCOUNT_IMPORT_INLINE_ROWS
    rows, else queued for a worker (published after commit). Returns the new run. Raises
    PreviewAlreadyApplied when its rows went to an import already."""
    rows = preview.params.get("rows")
    # The preview gives its rows to the run, once: the UPDATE claims them only while they are there, so
    # two applies at once (a double click, two admins) start one import and the other is refused.
    claimed = isinstance(rows, list) and JobRun.objects.filter(pk=preview.pk, params__has_key="rows").update(
        params={**without_rows(preview.params), "applied_by_run": True}
    )
    if not claimed:
        raise PreviewAlreadyApplied()
    run = JobRun.objects.create(
        kind=JobKind.ACCOUNT_IMPORT,
        trigger=Trigger.ADMIN,
        total=len(rows),
        params={**preview.params, "actor": actor.label, "preview": preview.pk},
    )
    if len(rows) <= settings.ACCOUNT_IMPORT_INLINE_ROWS:
        run_account_import(run.pk)
        run.refresh_from_db()
    else:
        transaction.on_commit(lambda: _publish(run.pk))
    return run


def run_account_import(job_run_id: int) -> dict[str, Any]:
    """Import the rows of a queued run (or resume a running one whose worker went silent), then merge
    the duplicates. Claims the run by a conditional UPDATE: a second delivery does nothing."""
    stale = timezone.now() - timedelta(seconds=2 * settings.JOB_LOCK_TTL)
    claimed = (
        JobRun.objects.filter(pk=job_run_id, kind=JobKind.ACCOUNT_IMPORT)
        .filter(Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, heartbeat_at__lt=stale))
        .update(status=RunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now())
    )
    if not claimed:
        return {"skipped": 1}
    run = JobRun.objects.get(pk=job_run_id)
    actor = Actor.system(f"account import by {run.params.get('actor', 'admin')}")
    rows = [AccountRow(**values) for values in run.params.get("rows", [])]
    summary = ImportSummary(
        **{k: v for k, v in run.counts.items() if k in ("created", "updated", "unchanged")}
    )
    try:
        for index in range(run.processed, len(rows)):
            count_outcome(summary, rows[index], import_row(rows[index], actor=actor))
            if (index + 1) % PROGRESS_EVERY == 0:
                _progress(run, index + 1, summary)
        _progress(run, len(rows), summary)
        summary.merged, summary.merges_refused = merge_duplicates(rows, actor=actor)
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    counts = _counts(summary)
    JobRun.objects.filter(pk=run.pk).update(
        params=without_rows(run.params),
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        counts=counts,
        report={
            "skipped": [f"line {line}: {why}" for line, why in summary.skipped[:SKIPPED_SHOWN]],
            "merges_refused": summary.merges_refused[:SKIPPED_SHOWN],
        },
    )
    return counts


def without_rows(params: dict[str, Any]) -> dict[str, Any]:
    """A run's parameters with an import's rows counted, not listed: what the job record keeps once the
    rows are used, and what the admin page and the jobs API show of any run (names and emails are for
    roles that may see people)."""
    rows = params.get("rows")
    kept = {k: v for k, v in params.items() if k != "rows"}
    return {**kept, "row_count": len(rows)} if isinstance(rows, list) else kept


def _counts(summary: ImportSummary) -> dict[str, int]:
    return {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": len(summary.skipped),
        "merged": summary.merged,
    }


def _progress(run: JobRun, processed: int, summary: ImportSummary) -> None:
    JobRun.objects.filter(pk=run.pk).update(
        processed=processed, heartbeat_at=timezone.now(), counts=_counts(summary)
    )


def _publish(run_id: int) -> None:
    try:
        queue.publish(queue.IMPORT_ACCOUNTS, {"job_run_id": run_id})
    except Exception as exc:  # noqa: BLE001 - broker down: resume_job_runs starts the queued run later
        log.info("account import %s not published yet (%s)", run_id, exc.__class__.__name__)
