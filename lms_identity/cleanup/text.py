"""The clean-up report as plain text, for `import_accounts` and the logs of a worker's run."""

from .report import CleanupReport

SHOWN = 20


def report_lines(report: CleanupReport) -> list[str]:
    lines = [
        f"Rows read: {report.rows}; invalid: {len(report.invalid)}.",
        f"The import would create {report.to_create} accounts and update {report.to_update}; "
        f"{report.idp_owned} rows name accounts an IdP owns and {report.refused_admin_power} name "
        "accounts with admin power (left unchanged).",
    ]
    for error in report.invalid[:SHOWN]:
        lines.append(f"  INVALID line {error.line}: {error.message}")
    _more(lines, len(report.invalid))
    lines.append(f"Duplicate groups: {len(report.groups)}.")
    for group in report.groups[:SHOWN]:
        where = f" (file lines {', '.join(map(str, group.lines))})" if group.lines else ""
        lines.append(f"  - {'; '.join(group.evidence)}{where}")
        if group.accounts:
            lines.append(f"    accounts: {', '.join(group.accounts)}")
        if group.blocked:
            lines.append(f"    BLOCKED: {group.blocked}")
        elif group.keep:
            lines.append(f"    merge: keep {group.keep}; deactivate {', '.join(group.merge)}")
        elif group.after_import:
            lines.append("    merge after the import: keep the account of the first row")
        else:
            lines.append("    the import lands these rows on one account")
    _more(lines, len(report.groups))
    lines.append(f"Accounts no IdP knows (no connection, named by no row): {report.unknown_accounts}.")
    for label in report.unknown_sample[:SHOWN]:
        lines.append(f"  {label}")
    for readiness in report.readiness:
        switch = "on" if readiness.adopt_existing_accounts else "off"
        lines.append(f"Readiness of {readiness.connection} (adopt existing accounts: {switch}):")
        lines.append(f"  {readiness.summary}.")
        if readiness.matched_by:
            how = ", ".join(f"{n} by {key}" for key, n in sorted(readiness.matched_by.items()))
            lines.append(f"  matched {how}")
        if readiness.refused_by:
            why = ", ".join(f"{n} {key}" for key, n in sorted(readiness.refused_by.items()))
            lines.append(f"  refused: {why}")
        for match in readiness.sample[:SHOWN]:
            lines.append(f"  line {match.line} {match.person}: {match.outcome} ({match.how}) {match.account}")
    verdict = "Blocking problems found." if report.blocking else "Nothing blocks the import and its merges."
    lines.append(verdict)
    return lines


def _more(lines: list[str], total: int) -> None:
    if total > SHOWN:
        lines.append(f"  … and {total - SHOWN} more")
