"""`python manage.py verify_audit`: walk the audit hash chain and report the first broken or missing link.

Exit codes: 0 the chain is intact; 1 a link is broken or missing (printed with its position); 2 wrong
usage. Events written but not sealed yet are counted, not checked (the seal runs on commit and every
minute from beat; `--seal` seals them first). `--workers N` walks a long chain (200,000 events or more)
in N processes on PostgreSQL; the default is one per core, at most 4.
"""

import argparse
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain

BROKEN = 1
MAX_DEFAULT_WORKERS = 4


def _workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return workers


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 0 when intact, 1 with the first broken or missing link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seal", action="store_true", help="seal pending events before verifying")
        parser.add_argument(
            "--workers",
            type=_workers,
            default=min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1),
            help="processes walking a long chain on PostgreSQL (default: one per core, at most 4)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            self.stderr.write(f"Sealed {seal_pending()} pending events.")
        result = verify_chain(workers=options["workers"])
        pending = f"; {result.pending} events not sealed yet" if result.pending else ""
        if result.problem is not None:
            self.stderr.write(f"Audit chain BROKEN after {result.checked} intact events: {result.problem}")
            raise CommandError(f"first bad link at position {result.problem.position}", returncode=BROKEN)
        self.stdout.write(f"Audit chain intact: {result.checked} events, head #{result.head_seq}{pending}.")
