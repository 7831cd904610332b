"""A job run's report in words, with the names of the people it names and links to them: what the
Sweeps and Job runs pages show instead of the raw counts and sample JSON. Two queries per run."""

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from lms_identity.models import IdpConnection, User
from provisioning.models import JobKind, JobRun, RunStatus

# What a sweep does to each person it acts on, as "would <verb> N people".
VERBS = {
    JobKind.INACTIVE_ACCESS: "take the remaining access away from",
    JobKind.ORPHANED_ACCOUNTS: "deactivate",
    JobKind.DISABLED_CONNECTION: "deactivate",
    JobKind.RETENTION_PURGE: "purge the personal data of",
    JobKind.UNUSED_SEATS: "examine the unused seats of",
}
COUNT_WORDS = {
    "deactivated": "people deactivated",
    "purged": "people's personal data purged",
    "seats_reclaimed": "seats reclaimed",
    "sessions_ended": "sessions ended",
    "still_in_use": "seats still in use (kept)",
    "kept_by_allow_override": "seats kept by an admin's override",
    "pool_never_reclaims": "seats in pools that never reclaim (kept)",
    "people": "people examined",
    "more_remain": "run stopped at its per-run bound: the next run continues",
}
SAMPLE_SHOWN = 10
# Walks whose dry run counts grant changes (a rolled-back reconcile), not people acted on.
RECONCILES = (JobKind.RECONCILE_EVERYONE, JobKind.RECOMPUTE_RULE)


@dataclass
class RunReport:
    headline: str
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, admin URL)
    more: int = 0
    by_connection: list[tuple[str, int]] = field(default_factory=list)
    finished: bool = False


def _count_words(counts: dict[str, Any]) -> str:
    parts = []
    for key, value in counts.items():
        if not isinstance(value, int) or not value or key == "would_act_on":
            continue
        words = COUNT_WORDS.get(key) or key.replace("_", " ")
        parts.append(words if key == "more_remain" else f"{value} {words}")
    return "; ".join(parts)


def _named_people(run: JobRun) -> list[tuple[str, str]]:
    ids = [entry.get("id") for entry in run.report.get("sample", [])[:SAMPLE_SHOWN] if entry.get("id")]
    people = {str(u.pk): u for u in User.objects.filter(pk__in=ids)}
    named = []
    for person_id in ids:
        person = people.get(person_id)
        if person is not None:
            named.append((str(person), reverse("admin:lms_identity_user_change", args=[person.pk])))
    return named


def _by_connection(run: JobRun) -> list[tuple[str, int]]:
    counts = run.report.get("by_connection", {})
    ids = [int(key) for key in counts if key.isdigit()]
    names = dict(IdpConnection.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [
        (names.get(int(key), "manual accounts") if key.isdigit() else "manual accounts", n)
        for key, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]


def describe_run(run: JobRun) -> RunReport:
    """The run's outcome as a sentence, the people it names (a sample) and its spread per connection."""
    if run.status == RunStatus.QUEUED:
        return RunReport("Queued: it starts as soon as a worker is free (one run of a job at a time).")
    if run.status == RunStatus.RUNNING:
        total = f" of {run.total}" if run.total is not None else ""
        unit = "rows imported" if run.kind == JobKind.ACCOUNT_IMPORT else "people examined"
        return RunReport(f"Running: {run.processed}{total} {unit} so far.")
    if run.status == RunStatus.SKIPPED:
        return RunReport("Skipped: another run of this job was in progress.", finished=True)
    if run.status in (RunStatus.FAILED, RunStatus.BRAKED):
        return RunReport(run.error or "Failed.", finished=True)
    if isinstance(run.counts.get("skipped"), str):
        return RunReport(f"Did nothing: {run.counts['skipped']}.", finished=True)
    if run.kind == JobKind.ACCOUNT_IMPORT:
        return _describe_import(run)
    if run.dry_run:
        acting = int(run.counts.get("would_act_on") or 0)
        if not acting:
            return RunReport("Dry run: nothing would change. Nobody matches this sweep now.", finished=True)
        if run.kind in RECONCILES:
            changes = _count_words(
                {k[6:]: v for k, v in run.counts.items() if k.startswith("would_") and k != "would_act_on"}
            )
            return RunReport(f"Dry run: would change grants ({changes}). Nothing was changed.", finished=True)
        named = _named_people(run)
        verb = VERBS.get(JobKind(run.kind), "act on")
        brake = " The safety brake would stop the real run." if run.report.get("brake_would_stop") else ""
        who = "person" if acting == 1 else "people"
        return RunReport(
            f"Dry run: would {verb} {acting} {who}. Nothing was changed.{brake}",
            people=named,
            more=max(0, acting - len(named)),
            by_connection=_by_connection(run),
            finished=True,
        )
    words = _count_words(run.counts)
    return RunReport(f"Done: {words}." if words else "Done: nothing needed changing.", finished=True)


def _describe_import(run: JobRun) -> RunReport:
    counts, name = run.counts, run.params.get("file_name", "the file")
    if run.dry_run:
        return RunReport(
            f"Preview of {name}: would create {counts.get('would_create', 0)} accounts and update "
            f"{counts.get('would_update', 0)}; {counts.get('duplicate_groups', 0)} duplicate groups "
            f"({counts.get('blocked_groups', 0)} blocked). Nothing was changed.",
            finished=True,
        )
    words = _count_words(counts)
    return RunReport(f"Imported {name}: {words}." if words else f"Imported {name}.", finished=True)
