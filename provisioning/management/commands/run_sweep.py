"""Run a sweep (or a reconcile walk) from a shell, with a progress bar, for operators."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisioning.models import JobRun, RunStatus, Trigger
from provisioning.services.job_runs import run_job
from provisioning.sweeps.registry import SWEEPS

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Run one sweep now in this process (same lock, brake and job-run record as the workers)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(SWEEPS), help="which sweep")
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        parser.add_argument("--rule", type=int, help="the rule id (recompute_rule only)")

    def handle(self, *args: Any, **options: Any) -> None:
        params = {"rule_id": options["rule"]} if options.get("rule") else None
        run = run_job(
            options["kind"],
            dry_run=options["dry_run"],
            trigger=Trigger.COMMAND,
            params=params,
            on_progress=self._draw,
        )
        if run is None:
            raise CommandError("Another run of this sweep is in progress; try again when it has finished.")
        if sys.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(f"Job run #{run.pk}: {run.get_status_display()}")
        for key, value in sorted(run.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        if run.dry_run:
            for row in run.report.get("sample", [])[:20]:
                self.stdout.write(f"  would act on {row['user_name']} ({row['id']})")
        if run.status == RunStatus.BRAKED:
            raise CommandError(run.error)

    def _draw(self, run: JobRun) -> None:
        total = run.total or 0
        done = min(run.processed, total) if total else run.processed
        filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()
