"""Run a sweep (or a reconcile walk) from a shell, with a progress bar, for operators and scripts.

Exit codes (README, "Management commands"): 0 the run finished (a dry run too), 1 it failed (recorded as
failed, or interrupted and left for the workers to resume), 2 wrong usage, 3 the safety brake stopped it
(nothing changed; confirm with --confirm-share), 4 another run of this sweep holds the lock."""

import math
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisioning.models import JobKind, JobRun, RunStatus, Trigger
from provisioning.services.job_runs import run_job
from provisioning.sweeps.registry import SWEEPS, get_sweep

BAR_WIDTH = 30

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BRAKED = 3
EXIT_ALREADY_RUNNING = 4


def parse_share(raw: str | None) -> float | None:
    """--confirm-share as a share in (0, 1]: 0.4 is 40 %."""
    if raw is None:
        return None
    try:
        share = float(raw)
    except ValueError:
        share = math.nan
    if not math.isfinite(share) or not 0 < share <= 1:
        raise CommandError(
            f"--confirm-share takes a share above 0 and at most 1 (0.4 = 40 %), not {raw!r}",
            returncode=EXIT_USAGE,
        )
    return share


class Command(BaseCommand):
    help = (
        "Run one sweep now in this process (same lock, brake and job-run record as the workers). "
        "Exit 0 done, 1 failed, 2 wrong usage, 3 stopped by the safety brake, 4 already running."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(SWEEPS), help="which sweep")
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        parser.add_argument("--rule", type=int, help="the rule id (recompute_rule only)")
        parser.add_argument(
            "--confirm-share",
            metavar="SHARE",
            help="confirm a braked run: let this run act on up to this share of a connection's people "
            "(0.4 = 40 %%), above the sweep's brake share, for this run only",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        params = self._params(kind, options)
        try:
            run = run_job(
                kind,
                dry_run=options["dry_run"],
                trigger=Trigger.COMMAND,
                params=params or None,
                on_progress=self._draw,
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the run by run_job; here only the exit code
            raise CommandError(
                f"The run failed: {exc.__class__.__name__}: {exc}", returncode=EXIT_FAILED
            ) from exc
        if run is None:
            raise CommandError(
                "Another run of this sweep is in progress; try again when it has finished.",
                returncode=EXIT_ALREADY_RUNNING,
            )
        self._report(run)
        if run.status == RunStatus.BRAKED:
            raise CommandError(run.error, returncode=EXIT_BRAKED)

    def _params(self, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if kind == JobKind.RECOMPUTE_RULE:
            if not options.get("rule"):
                raise CommandError("recompute_rule needs --rule RULE_ID", returncode=EXIT_USAGE)
            params["rule_id"] = options["rule"]
        share = parse_share(options.get("confirm_share"))
        if share is not None:
            if not get_sweep(kind).braked:
                raise CommandError(f"{kind} has no safety brake to confirm", returncode=EXIT_USAGE)
            params["confirm_share"] = share
        return params

    def _report(self, run: JobRun) -> None:
        if sys.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(f"Job run #{run.pk}: {run.get_status_display()}")
        for key, value in sorted(run.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        if run.report.get("brake_confirmed"):
            self.stdout.write(f"  brake confirmed at share {run.report['brake_confirmed']['share']}")
        if run.dry_run:
            for row in run.report.get("sample", [])[:20]:
                self.stdout.write(f"  would act on {row['user_name']} ({row['id']})")

    def _draw(self, run: JobRun) -> None:
        total = run.total or 0
        done = min(run.processed, total) if total else run.processed
        filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()
