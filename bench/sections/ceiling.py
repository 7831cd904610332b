"""The ceiling: a bare Django view reading one row and one inserting one row, on the same server setup.

Measured at 1 connection (latency: what one IdP connector sees) and at CONCURRENCY connections
(throughput: what the machine can do). Other sections compare their figures with these.
"""

import random
from typing import Any

from bench import report, server
from bench.context import Bench
from bench.models import CeilingRow
from bench.report import Section

CONCURRENCY = 4
ROWS = 1000
# The same body the SCIM POST benchmark sends, so both views parse the same JSON.
USER_BODY = (
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
    '"userName":"__KEY__@bench.example","externalId":"__KEY__","active":true,'
    '"name":{"givenName":"Post","familyName":"Bench __N__"},'
    '"emails":[{"value":"__KEY__@bench.example","type":"work","primary":true}],'
    '"displayName":"Post Bench __N__","title":"Engineer",'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":'
    '{"department":"Department 1","employeeNumber":"P__N__"}}'
)


def summary(result: dict[str, Any]) -> str:
    p50, p99 = report.ms(result["p50_ms"]), report.ms(result["p99_ms"])
    failed = f", {result['failed']} failed: {result['statuses']}" if result["failed"] else ""
    return f"{report.rate(result['rps'])} (p50 {p50}, p99 {p99}, n={result['requests']}{failed})"


def check(result: dict[str, Any], what: str) -> None:
    if result["requests"] == 0 or result["failed"] > max(1, result["requests"] // 100):
        raise RuntimeError(
            f"{what}: {result['failed']} of {result['requests']} requests failed "
            f"(statuses {result['statuses']}, errors {result['errors']}): {result['sample_failure']}"
        )


def ensure(bench: Bench) -> dict[str, dict[str, Any]]:
    """Measure the ceiling once per run (on the run's main database) and return it."""
    if bench.ceiling:
        return bench.ceiling
    name = bench.database()
    if not CeilingRow.objects.exists():
        CeilingRow.objects.bulk_create(
            [CeilingRow(key=f"seed-{i}", payload={"n": i}) for i in range(1, ROWS + 1)], batch_size=1000
        )
    ids = list(CeilingRow.objects.values_list("pk", flat=True))
    random.Random(7).shuffle(ids)
    web = bench.server(name)
    duration = bench.seconds(10, 3)
    read = {
        "port": web.port,
        "method": "GET",
        "paths": [f"/bench/ceiling/read/{pk}/" for pk in ids],
        "duration": duration,
        "max_requests": 200_000,
        "warmup": 50,
    }
    insert = {
        "port": web.port,
        "method": "POST",
        "paths": ["/bench/ceiling/insert/"],
        "headers": {"Content-Type": "application/json"},
        "body_template": USER_BODY.replace("__KEY__", f"ceiling-{bench.run_id}-__N__").replace(
            '"userName"', '"key":"ceiling-' + bench.run_id + '-__N__","userName"'
        ),
        "duration": duration,
        "max_requests": 200_000,
        "warmup": 20,
        "expect": [201],
    }
    first_n = 1
    for label, spec in (("read", read), ("insert", insert)):
        for connections in (1, CONCURRENCY):
            result = server.load({**spec, "connections": connections, "first_n": first_n})
            first_n += 1_000_000
            check(result, f"ceiling {label} at {connections} connection(s)")
            bench.ceiling[f"{label}_{connections}"] = result
    return bench.ceiling


def run(bench: Bench, section: Section) -> None:
    ceiling = ensure(bench)
    for label, what in (
        ("read", "reads one row by primary key"),
        ("insert", "inserts one row (unique key, JSON body)"),
    ):
        for connections in (1, CONCURRENCY):
            section.add(
                f"view that {what}, {connections} connection(s)", summary(ceiling[f"{label}_{connections}"])
            )
    section.note(
        "The ceiling views run behind the same middleware as every other view (sessions, CSRF exempt, auth), "
        "on the same gunicorn and database, in the same run."
    )
