"""The clean-up before SCIM (issue 14): a dry run of a 100,000-row file of legacy accounts against
100,000 existing accounts, target under 60 s.

The existing accounts are of no connection (made in the LMS before any IdP), seeded in SQL. The file is
what a legacy export looks like: most rows name an existing account by email in another case, a few
percent are new people, some are the same person under a second email (same employee number), and some
repeat a row. `python manage.py import_accounts FILE --connection SLUG --dry-run` runs in this process,
end to end (reading the CSV with tablib, the report, readiness for the connection, printing).
"""

import io
import tempfile
import time
from pathlib import Path

from bench import db
from bench.context import Bench, Skip
from bench.report import Section

TARGET_S = 60
HEADER = "user_name,email,given_name,family_name,employee_number,manager,external_id,active\n"


def _landed() -> None:
    try:
        from lms_identity.cleanup.report import build_report  # noqa: F401
    except ImportError as exc:
        raise Skip(f"the clean-up import has not landed: {exc}") from None


def legacy_file(size: int) -> str:
    """`size` rows: 90 % existing people by email in upper case, 4 % new people, 3 % second emails of
    existing people (same employee number), 3 % repeats of an earlier row."""
    lines = [HEADER]
    for n in range(1, size + 1):
        kind = n % 100
        if kind < 90:
            lines.append(f"user{n},USER{n}@{db.SEEDED_DOMAIN.upper()},Given{n},Family{n % 997},E{n},,,true\n")
        elif kind < 94:
            lines.append(f"new{n},new{n}@legacy.example,New{n},Person,N{n},,,true\n")
        elif kind < 97:
            lines.append(f"alias{n},alias{n}@legacy.example,Given{n},Family{n % 997},E{n},,,true\n")
        else:
            lines.append(f"user{n - 10},user{n - 10}@{db.SEEDED_DOMAIN},Given,Again,E{n - 10},,,true\n")
    return "".join(lines)


def run(bench: Bench, section: Section) -> None:
    _landed()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from lms_identity.cleanup.files import read_rows
    from lms_identity.cleanup.report import build_report
    from lms_identity.models import IdpConnection, User

    size = 10_000 if bench.quick else 100_000
    bench.fresh_database("cleanup")
    began = time.monotonic()
    db.seed_users(None, 1, size)  # type: ignore[arg-type]  # NULL: accounts of no connection
    User.objects.update(source="manual", external_id="")
    connection = IdpConnection.objects.create(slug="okta", name="Okta", adopt_existing_accounts=True)
    db.analyze("lms_identity_user")
    content = legacy_file(size)
    print(
        f"  seeded {size:,} accounts and a {size:,}-row file in {time.monotonic() - began:.0f} s", flush=True
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "legacy.csv"
        path.write_text(content)
        out = io.StringIO()
        began = time.monotonic()
        try:
            call_command("import_accounts", str(path), "--connection", "okta", "--dry-run", stdout=out)
            code = 0
        except CommandError as error:
            code = error.returncode
        seconds = time.monotonic() - began
    summary = next((line.strip() for line in out.getvalue().splitlines() if "on enabling SCIM" in line), "")
    section.add(
        f"`import_accounts --dry-run`: a {size:,}-row CSV against {size:,} existing accounts, one connection",
        f"{seconds:.1f} s (exit {code}; {summary[:140]})",
        f"< {TARGET_S} s",
        seconds < TARGET_S and code in (0, 1),
    )
    began = time.monotonic()
    rows, invalid = read_rows(content.encode())
    read_seconds = time.monotonic() - began
    began = time.monotonic()
    report = build_report(rows, invalid, connections=[connection])
    report_seconds = time.monotonic() - began
    section.add(
        "  of which: reading the CSV (tablib) / the report and readiness",
        f"{read_seconds:.1f} s / {report_seconds:.1f} s ({len(report.groups):,} duplicate groups, "
        f"{report.to_create:,} to create, {report.to_update:,} to update)",
    )
