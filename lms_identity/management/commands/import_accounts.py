"""`python manage.py import_accounts FILE [--connection SLUG] [--dry-run]`: the clean-up before SCIM.

Reads a CSV or XLSX of the LMS's existing accounts (columns in lms_identity/cleanup/files.py), prints
the dry-run report (duplicates, the same person under two emails, accounts no IdP knows, and for the
connection given, or every connection, how its SCIM creates will match), and without --dry-run
imports the rows and makes the merges nothing blocks.

Exit codes: 0 nothing blocks; 1 problems that block the import or a merge (invalid rows, a duplicate
group with an account with admin power or two IdP-owned accounts; without --dry-run, nothing is
written then); 2 wrong usage, an unknown connection, or a file that cannot be read.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.cleanup.files import ImportFileError, read_rows
from lms_identity.cleanup.report import build_report
from lms_identity.cleanup.text import report_lines
from lms_identity.models import IdpConnection
from lms_identity.services.account_cleanup import apply_cleanup
from lms_identity.services.audit import Actor

BLOCKED = 1
BAD_INPUT = 2


class Command(BaseCommand):
    help = "Clean-up before SCIM: report on (and, without --dry-run, import) a CSV/XLSX of accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a CSV (UTF-8) or XLSX file of accounts")
        parser.add_argument("--connection", help="the slug of the IdP connection to report readiness for")
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        connections = self._connections(options["connection"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=BAD_INPUT) from None
        try:
            rows, invalid = read_rows(content, name=path.name)
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}", returncode=BAD_INPUT) from None
        report = build_report(rows, invalid, connections=connections)
        self.stdout.write("\n".join(report_lines(report)))
        if report.blocking:
            raise CommandError("problems block the import and its merges (see above)", returncode=BLOCKED)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was changed.")
            return
        summary = apply_cleanup(rows, actor=Actor.system("import_accounts"))
        self.stdout.write(
            f"Imported: {summary.created} created, {summary.updated} updated, {summary.unchanged} "
            f"unchanged, {len(summary.skipped)} skipped; {summary.merged} merged."
        )
        for line, reason in summary.skipped[:20]:
            self.stdout.write(f"  line {line}: {reason}")
        for message in summary.merges_refused:
            self.stdout.write(f"  merge refused: {message}")

    def _connections(self, slug: str | None) -> list[IdpConnection]:
        if slug is None:
            return list(IdpConnection.objects.order_by("slug"))
        connection = IdpConnection.objects.filter(slug=slug).first()
        if connection is None:
            raise CommandError(f"no connection {slug!r}", returncode=BAD_INPUT)
        return [connection]
