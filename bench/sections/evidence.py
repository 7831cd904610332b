"""Evidence (issue 14): what the audit hash chain and the SCIM request log cost, in one run.

1. Audit append: one-event transactions from 1 and WRITERS writer processes through record_event (the
   chain: a sealing worker chains what commits, nudged by the writers, and the round ends only when
   nothing is left unsealed) against the same INSERTs with no chain, in interleaved rounds.
2. Sealing and verifying: seal_pending over freshly inserted events, then `manage.py verify_audit` (its
   default workers) over 1,000,000 events (quick: 100,000), and the same walk in one process.
3. The SCIM request log: three gunicorns on one database, SCIM_REQUEST_LOG off, errors and all; for each
   request kind and number of connections, short rounds of off, errors, all, then errors, all, off, ...
   so a busy moment of the shared machine hits the three alike; a figure adds its rounds up. A request
   that succeeds writes nothing under errors, so for POST and PATCH errors-vs-off is the run's noise.
4. The seal's price on a SCIM POST: sealed on a worker as deployed, not sealed, sealed in the request,
   one gunicorn and database each, interleaved the same way.
"""

import os
import random
import subprocess
import sys
import time
from typing import Any

from bench import audit_trail, db, report, server
from bench.context import Bench
from bench.paths import REPO
from bench.report import Section
from bench.sections import ceiling as ceiling_section
from bench.sections.peer import brief, combine, okta_replace
from lms_identity.services.audit import Actor
from lms_identity.services.audit_chain import seal_pending
from lms_identity.services.audit_verify import verify_chain
from lms_identity.services.connections import upsert_connection
from lms_identity.services.tokens import issue_scim_token
from provisioning.models import ScimRequest

WRITERS = 4
MODES = ("off", "errors", "all")
CONTENT_TYPE = "application/scim+json"
LOG_COST_TARGET = 0.10


# -- 1. audit append


def measure_append(bench: Bench, section: Section) -> None:
    name = bench.fresh_database("evidence")
    sealer = server.CeleryWorker(
        database_url=bench.url(name), redis_url=bench.redis_url, queues="audit", name="evidence-sealer"
    )
    try:
        _append_rounds(bench, section)
    finally:
        sealer.stop()


def _append_rounds(bench: Bench, section: Section) -> None:
    # Rounds of several seconds: a seal follows its commits by up to a second (the nudge's interval),
    # which a round of one second would count as much as the appends themselves.
    events = 1000 if bench.quick else 4000
    rounds = 1 if bench.quick else 2
    for writers in (1, WRITERS):
        runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
        for i in range(rounds):
            for chained in (False, True) if i % 2 == 0 else (True, False):
                runs[chained].append(audit_trail.append(chained=chained, writers=writers, events=events))
        plain, chained_rate = _rate(runs[False]), _rate(runs[True])
        written = sum(r["events"] for r in runs[True]) / sum(r["written"] for r in runs[True])
        late = sum(r["sealed_late"] for r in runs[True])
        print(f"  append, {writers} writer(s): {plain:.0f}/s, chained {chained_rate:.0f}/s", flush=True)
        section.add(
            f"audit append, {writers} writer{'s' if writers > 1 else ''}: chain vs the same inserts without",
            f"{report.rate(chained_rate)} vs {report.rate(plain)} "
            f"({chained_rate / plain:.0%} of the rate without the chain)",
            "priced as a ratio",
            None,
            f"writers alone {report.rate(written)} ({written / plain:.0%}); "
            f"{late} events left to the final seal",
        )
    section.note(
        f"Audit append: {events:,} one-event transactions per writer and round, {rounds} interleaved "
        "rounds (no chain first, then chain first, ...); writers are forked processes, each with its own "
        "connection; with the chain, each commit nudges the sealing worker running beside them (one "
        "process on the audit queue, as deployed); the chain's time runs until no event is unsealed: "
        "what the worker has not sealed when the last writer is done (their last second, whose nudges "
        "ended with them) is sealed then and counted; 'writers alone' is the rate until the last writer "
        "committed, what the chain costs the transactions that write events."
    )


def _rate(runs: list[dict[str, Any]]) -> float:
    return sum(r["events"] for r in runs) / sum(r["seconds"] for r in runs)


# -- 2. sealing and verify_audit


def measure_verify(bench: Bench, section: Section) -> None:
    name = bench.fresh_database("evidence_verify")
    total = 100_000 if bench.quick else 1_000_000
    unsealed = 20_000 if bench.quick else 100_000
    audit_trail.insert_unsealed(1, unsealed)
    db.analyze("lms_identity_auditevent")
    began = time.monotonic()
    sealed = seal_pending()
    seal_seconds = time.monotonic() - began
    section.add(
        f"seal_pending over {unsealed:,} committed events (one process)",
        f"{report.ms(seal_seconds * 1000)} ({report.rate(sealed / seal_seconds)} events)",
    )
    began = time.monotonic()
    audit_trail.copy_sealed(total - unsealed)
    db.analyze("lms_identity_auditevent")
    print(f"  seeded {total:,} sealed events ({time.monotonic() - began:.0f} s to copy)", flush=True)
    command, seconds = _verify_command(bench, name)
    judged = None if bench.quick else seconds < 60
    section.add(
        f"`manage.py verify_audit` over {total:,} events",
        f"{report.ms(seconds * 1000)} (default workers; {command})",
        "< 60 s at 1,000,000 events",
        judged,
    )
    began = time.monotonic()
    result = verify_chain(workers=1)
    one = time.monotonic() - began
    if not result.ok or result.checked != total:
        raise RuntimeError(f"the seeded chain does not verify: {result}")
    section.add(f"verify_chain over {total:,} events in one process", report.ms(one * 1000))
    section.note(
        f"Verify: {unsealed:,} events inserted unsealed by one INSERT ... SELECT and sealed by seal_pending "
        f"(the figure above), {total - unsealed:,} more chained by the service's hasher and COPYed in "
        "sealed (bench/audit_trail.py); the command runs as an operator runs it, in its own process "
        f"(Python start-up included) on {os.cpu_count()} cores."
    )


def _verify_command(bench: Bench, name: str) -> tuple[str, float]:
    env = {
        **os.environ,
        "DATABASE_URL": bench.url(name),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "WARNING",
    }
    began = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "verify_audit"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    seconds = time.monotonic() - began
    if done.returncode != 0:
        raise RuntimeError(f"verify_audit exited {done.returncode}: {done.stderr[-500:]}")
    return f"exit 0, {done.stdout.strip().rstrip('.')}", seconds


# -- 3. the SCIM request log and 4. the seal's price: settings side by side


def interleaved(
    bench: Bench,
    spec: dict[str, Any],
    per_setting: dict[str, dict[str, Any]],
    template: str | None,
    *,
    rounds: int,
    label: str,
) -> dict[str, dict[str, Any]]:
    """Short rounds of the same load against one server per setting, each setting first in turn, added up
    per setting (combine), so a busy moment of the shared machine hits them alike. `per_setting` holds
    what differs (port, headers)."""
    settings = list(per_setting)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    for i in range(rounds):
        for name in settings[i % len(settings) :] + settings[: i % len(settings)]:
            one = {
                "max_requests": 1_000_000,
                "warmup": 5,
                "keep_latencies": True,
                **spec,
                **per_setting[name],
            }
            if template is not None:
                run = f"{name}{bench.run_id}{random.randint(0, 10**9)}"  # noqa: S311 - a unique key, not a secret
                one["body_template"] = template.replace("__KEY__", f"{run}-__N__")
            result = server.load(one)
            ceiling_section.check(result, f"{label} {name}")
            results[name].append(result)
    return {name: combine(r) for name, r in results.items()}


class RequestLog:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.people = 2_000 if bench.quick else 10_000
        self.rounds = 3  # each setting goes first once
        self.duration = bench.seconds(4, 1)
        self.rng = random.Random(14)
        self.name = bench.fresh_database("evidence_log")
        idp, _ = upsert_connection("bench-evidence", actor=Actor.system("bench"))
        _, token = issue_scim_token(idp, actor=Actor.system("bench"))
        db.seed_users(idp.pk, 1, self.people)
        db.analyze("lms_identity_user")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPE}

    def kinds(self) -> list[tuple[str, str, list[str], str | None, int]]:
        """(name, method, paths, body template, expected status)"""
        people = [f"/scim/v2/Users/{db.user_id(self.rng.randint(1, self.people))}" for _ in range(3000)]
        unknown = [f"/scim/v2/Users/{db.user_id(self.people + n)}" for n in range(1, 3001)]
        return [
            ("POST /Users", "POST", ["/scim/v2/Users"], ceiling_section.USER_BODY, 201),
            ("PATCH replace title", "PATCH", people, okta_replace({"title": "Title __N__"}), 200),
            ("GET /Users/{unknown id} (404, logged under errors)", "GET", unknown, None, 404),
        ]

    def measure(self) -> dict[tuple[str, int], dict[str, dict[str, Any]]]:
        url = self.bench.url(self.name)
        servers: dict[str, server.Gunicorn] = {}
        figures: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
        try:
            for mode in MODES:
                servers[mode] = server.Gunicorn(
                    port=server.free_port(),
                    database_url=url,
                    redis_url=self.bench.redis_url,
                    env={"SCIM_REQUEST_LOG": mode},
                    name=f"gunicorn-log-{mode}",
                )
            for kind, method, paths, template, expect in self.kinds():
                for connections in (1, ceiling_section.CONCURRENCY):
                    spec = {
                        "method": method,
                        "paths": paths,
                        "headers": self.headers,
                        "connections": connections,
                        "duration": self.duration,
                        "expect": [expect],
                    }
                    figures[(kind, connections)] = interleaved(
                        self.bench,
                        spec,
                        {mode: {"port": servers[mode].port} for mode in MODES},
                        template,
                        rounds=self.rounds,
                        label=f"{kind} at {connections}, log",
                    )
                    print(
                        f"  {kind}, {connections}: "
                        + ", ".join(f"{m} {brief(r)}" for m, r in figures[(kind, connections)].items()),
                        flush=True,
                    )
        finally:
            for web in servers.values():
                web.stop()
        return figures

    def logged_rows(self) -> dict[int, int]:
        db.use(self.name)
        return {s: ScimRequest.objects.filter(status=s).count() for s in (200, 201, 404)}


def measure_request_log(bench: Bench, section: Section) -> None:
    log = RequestLog(bench)
    figures = log.measure()
    for (kind, connections), by_mode in figures.items():
        off = by_mode["off"]
        costs = {mode: 1 - by_mode[mode]["rps"] / off["rps"] for mode in ("errors", "all")}
        section.add(
            f"request log, {kind}, {connections} connection{'s' if connections > 1 else ''}",
            "; ".join(f"{mode} {brief(by_mode[mode])}" for mode in MODES),
            "< 10 % cost (errors, all) vs off",
            all(cost < LOG_COST_TARGET for cost in costs.values()),
            ", ".join(f"{mode} {by_mode[mode]['rps'] / off['rps']:.2f}× off" for mode in ("errors", "all")),
        )
    rows = log.logged_rows()
    section.note(
        f"Request log: {log.people:,} people; {log.rounds} interleaved rounds of {log.duration:g} s per "
        "setting per figure (each setting first in turn), three gunicorns of the same size on one database; "
        "the 'vs ceiling' column gives each setting's rate over off's. Under errors a request that "
        "succeeds writes nothing, so for POST and PATCH errors-vs-off shows this run's noise. Rows logged: "
        f"{rows[201]:,} POSTs (201), {rows[200]:,} PATCHes (200), {rows[404]:,} 404s."
    )


SEAL_SETTINGS = ("worker", "none", "inline")  # BENCH_AUDIT_SEAL (bench/settings.py)


def measure_seal_price(bench: Bench, section: Section) -> None:
    """A SCIM POST with its audit event sealed as deployed (a worker beside the server, nudged at most
    once a second), not sealed at all (the guarantee off, for the price only) and sealed in the committing
    request (the first design): one server and database per setting, interleaved rounds."""
    servers: dict[str, server.Gunicorn] = {}
    per_setting: dict[str, dict[str, Any]] = {}
    rounds, duration = 4, bench.seconds(3, 1)
    try:
        for setting in SEAL_SETTINGS:
            name = bench.fresh_database(f"evidence_seal_{setting}")
            idp, _ = upsert_connection("bench-seal", actor=Actor.system("bench"))
            _, token = issue_scim_token(idp, actor=Actor.system("bench"))
            servers[setting] = server.Gunicorn(
                port=server.free_port(),
                database_url=bench.url(name),
                redis_url=bench.redis_url,
                env={"BENCH_AUDIT_SEAL": setting},
                name=f"gunicorn-seal-{setting}",
                sealer=setting == "worker",
            )
            per_setting[setting] = {
                "port": servers[setting].port,
                "headers": {"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPE},
            }
        for connections in (1, ceiling_section.CONCURRENCY):
            spec = {
                "method": "POST",
                "paths": ["/scim/v2/Users"],
                "connections": connections,
                "duration": duration,
                "expect": [201],
            }
            by_setting = interleaved(
                bench,
                spec,
                per_setting,
                ceiling_section.USER_BODY,
                rounds=rounds,
                label=f"POST at {connections}, seal",
            )
            print(f"  POST, {connections}: " + ", ".join(f"{s} {brief(r)}" for s, r in by_setting.items()))
            bare = by_setting["none"]
            section.add(
                f"audit seal, POST /Users, {connections} connection{'s' if connections > 1 else ''}: "
                "on a worker vs not sealed vs sealed in the request",
                "; ".join(f"{s} {brief(by_setting[s])}" for s in SEAL_SETTINGS),
                "priced as a ratio",
                None,
                ", ".join(
                    f"{s} {by_setting[s]['rps'] / bare['rps']:.2f}× the rate, p99 "
                    f"+{by_setting[s]['p99_ms'] - bare['p99_ms']:.1f} ms"
                    for s in ("worker", "inline")
                ),
            )
    finally:
        for web in servers.values():
            web.stop()
    section.note(
        f"Seal price: {rounds} interleaved rounds of {duration:g} s per setting, one gunicorn and fresh "
        "database per setting; 'worker' has the sealing worker running beside it (one process, -Q audit), "
        "'none' leaves every event unsealed (BENCH_AUDIT_SEAL=none, for the price only), 'inline' seals "
        "in the request's thread after its commit."
    )


def run(bench: Bench, section: Section) -> None:
    measure_append(bench, section)
    measure_verify(bench, section)
    measure_request_log(bench, section)
    measure_seal_price(bench, section)
