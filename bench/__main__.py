"""`make bench` (`python -m bench [SECTION ...] [--quick]`): run the benchmarks and write the report.

Sections: ceiling, scim, peer, sso, courses, jobs, cleanup, evidence, console (all by default). A full
run of every section writes docs/BENCHMARKS.md; a partial or --quick run writes
var/bench/BENCHMARKS-partial.md, so a trial run never replaces the recorded figures. A section whose
feature has not landed prints "skipped: <reason>".
"""

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SECTIONS = ["ceiling", "scim", "peer", "sso", "courses", "jobs", "cleanup", "evidence", "console"]
TITLES = {
    "ceiling": "Ceiling: a bare Django view on the same server",
    "scim": "SCIM 2.0 endpoint (issue 2)",
    "peer": "SCIM against stock django-scim2 (issue 15)",
    "sso": "OpenID Connect login (issue 3)",
    "courses": "Course entitlements (issue 4)",
    "jobs": "Celery jobs and sweeps (issue 5)",
    "cleanup": "Clean-up before SCIM: the import's dry run (issue 14)",
    "evidence": "Evidence: audit hash chain and SCIM request log (issue 14)",
    "console": "L&D admin console at 100,000 people (issue 11)",
}


def _redact(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        user = netloc.split("@", 1)[0].split(":", 1)[0]
        netloc = f"{user}:***@{netloc.split('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "sections", nargs="*", metavar="SECTION", help="one or more of: " + ", ".join(SECTIONS)
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short runs, for trying a section"
    )
    parser.add_argument("--output", type=Path, help="where to write the Markdown report")
    parser.add_argument(
        "--keep-databases", action="store_true", help="leave the lms_bench_* databases behind"
    )
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    chosen = args.sections or SECTIONS

    from bench.context import Bench

    database_url, redis_url, env_notes = Bench.environment()
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(f"make bench needs PostgreSQL; DATABASE_URL is {_redact(database_url)}", file=sys.stderr)
        return 2
    for note in env_notes:
        print(note)
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import warnings

    import django

    # WhiteNoise warns that collectstatic has not run: the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()

    import redis

    from bench import db, report
    from bench.paths import DOCS, VAR

    try:
        redis_version = str(redis.Redis.from_url(redis_url).info("server")["redis_version"])
    except redis.RedisError as exc:
        print(f"Redis at {_redact(redis_url)} is not reachable: {exc}", file=sys.stderr)
        return 2
    db.use("postgres")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]

    bench = Bench(quick=args.quick, database_url=database_url, redis_url=redis_url)
    started = report.now()
    load_before = report.load_average()
    sections: list[report.Section] = []
    mode = "quick (small sizes, short runs)" if args.quick else "full"
    print(f"# make bench: {', '.join(chosen)} ({mode}), PostgreSQL {pg_version}, Redis {redis_version}\n")
    try:
        for key in chosen:
            section = report.Section(key, TITLES[key])
            sections.append(section)
            began = time.monotonic()
            print(f"## {section.title}", flush=True)
            try:
                module = importlib.import_module(f"bench.sections.{key}")
                module.run(bench, section)
            except Exception as exc:  # noqa: BLE001 - a broken section is reported, the others still run
                skip = type(exc).__name__ == "Skip"
                section.skipped = (
                    str(exc) if skip else f"failed: {type(exc).__name__}: {report.safe(str(exc))[:400]}"
                )
                if not skip:
                    traceback.print_exc()
            bench.stop_worker()
            bench.stop_server()
            section.seconds = time.monotonic() - began
            if section.skipped:
                print(
                    f"skipped: {section.skipped}"
                    if not section.skipped.startswith("failed")
                    else section.skipped
                )
            for figure in section.figures:
                target = figure.target or "-"
                print(f"  {figure.name}: {figure.value}  [{target}] {figure.result} {figure.vs_ceiling}")
            print(flush=True)
    finally:
        bench.close()
        if not args.keep_databases:
            bench.drop_databases()
    finished = report.now()
    load_after = report.load_average()

    from bench import server

    setup = [
        ("mode", mode),
        (
            "web server",
            f"{server.describe()}, 127.0.0.1 on a free port ({bench.web_port} in this run), `DEBUG` off, "
            "bench settings",
        ),
        (
            "load generator",
            "a separate process: Python threads, one keep-alive http.client connection each, "
            "closed loop (each connection sends its next request when the last one is answered)",
        ),
        ("database", f"{_redact(database_url)} (benchmark databases `{bench.base}*`, created fresh)"),
        ("broker", _redact(redis_url)),
        (
            "machine load",
            f"load average {load_before} at the start, {load_after} at the end (other processes "
            "share these cores; the benchmark's own server and workers are stopped between sections)",
        ),
        *[("environment", n) for n in env_notes],
    ]
    text = report.render(
        sections=sections,
        machine_rows=report.machine(pg_version, redis_version),
        setup_rows=setup,
        started=started,
        finished=finished,
        command="make bench" + (f' BENCH_ARGS="{" ".join(argv)}"' if argv else ""),
    )
    full = not args.quick and chosen == SECTIONS
    output = args.output or (DOCS if full else VAR / "BENCHMARKS-partial.md")
    report.write(output, text)
    print(text)
    print(f"Report written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
