"""SCIM against stock django-scim2 (issue 15): the requests an IdP's sync mostly sends, side by side with
the library we build on, used as its README says (bench/peer/), and with the ceiling views.

Our server and the peer's run at once, each a gunicorn with the same settings on its own database of
the same PostgreSQL, each with the same number of seeded people. For every request kind and number of
connections the load generator runs ROUNDS short rounds of ceiling, ours, peer, ceiling, ours, peer ...,
and a figure adds its rounds up (rate = requests / time, percentiles over every latency), so a busy
moment of this shared machine hits all three alike.
"""

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from bench import db, report, server
from bench.context import Bench, Skip
from bench.loadgen import percentile
from bench.models import CeilingRow
from bench.report import Section
from bench.sections import ceiling as ceiling_section

CONTENT_TYPE = "application/scim+json"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LEVELS = (1, ceiling_section.CONCURRENCY)
CEILING_ROWS = 1000


def okta_replace(value: dict[str, Any]) -> str:
    """Okta's path-less replace of these attributes."""
    return json.dumps({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": value}]})


def path_replace(path: str, value: Any) -> str:
    return json.dumps(
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": path, "value": value}]}
    )


@dataclass(frozen=True)
class Kind:
    """One request kind: what the ceiling, we and the peer are sent."""

    name: str
    method: str
    ceiling: str  # which ceiling view: read, insert or update
    ours_body: str | None
    peer_body: str | None
    expect: int
    distinct_people: bool = False  # each request acts on a person no other request touched


KINDS = [
    Kind("POST /Users", "POST", "insert", ceiling_section.USER_BODY, ceiling_section.USER_BODY, 201),
    # Stock django-scim2 maps no title and answers 501 even with a path: its one-attribute replace is
    # name.givenName with a path, against Okta's path-less title replace on our side.
    Kind(
        "PATCH replace one attribute",
        "PATCH",
        "update",
        okta_replace({"title": "Title __N__"}),
        path_replace("name.givenName", "Given __N__"),
        200,
    ),
    Kind(
        "PATCH active=false",
        "PATCH",
        "update",
        okta_replace({"active": False}),
        okta_replace({"active": False}),
        200,
        distinct_people=True,
    ),
    Kind("GET /Users/{id}", "GET", "read", None, None, 200),
]


def _landed() -> None:
    try:
        import django_scim  # noqa: F401

        from provisioning.scim import urls  # noqa: F401
    except ImportError as exc:
        raise Skip(f"the SCIM endpoint or django-scim2 does not import: {exc}") from None


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds added up: the rate over their summed time, percentiles over all their latencies."""
    values = sorted(v for r in results for v in r["latencies_ms"])
    statuses = [k for r in results for k in r["statuses"]]
    elapsed = sum(r["elapsed_s"] for r in results)
    return {
        "requests": len(values),
        "rps": len(values) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "failed": sum(r["failed"] for r in results),
        "statuses": {k: sum(r["statuses"].get(k, 0) for r in results) for k in {*statuses}},
    }


def brief(result: dict[str, Any]) -> str:
    return f"{report.rate(result['rps'])} (p99 {report.ms(result['p99_ms'])})"


class PeerDatabase:
    """The peer's database: migrated with bench.peer.settings, people seeded in SQL, one token."""

    def __init__(self, bench: Bench, people: int) -> None:
        self.name = bench.base + "_peer"
        self.url = bench.url(self.name)
        db.migrate_template(bench.database_url, self.name, settings_module="bench.peer.settings")
        bench.track(self.name)
        self.token = secrets.token_urlsafe(32)
        columns = (
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
            "date_joined, scim_id, scim_external_id, scim_username"
        )
        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO peer_peeruser ({columns}) "  # noqa: S608 - our own columns
                "SELECT g, '!bench', false, 'user' || g || '@bench.example', 'Given' || g, "
                "'Family' || mod(g, 997), 'user' || g || '@bench.example', false, true, now(), g::text, "
                "'ext-' || g, 'user' || g || '@bench.example' FROM generate_series(1, %(n)s::bigint) AS g",
                {"n": people + 1},
            )
            conn.execute(
                "UPDATE peer_peeruser SET username = 'token-user' WHERE id = %(n)s", {"n": people + 1}
            )
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('peer_peeruser', 'id'), %(n)s)", {"n": people + 1}
            )
            conn.execute(
                "INSERT INTO peer_peertoken (key, user_id) VALUES (%(key)s, %(n)s)",
                {"key": self.token, "n": people + 1},
            )
            conn.execute("VACUUM ANALYZE peer_peeruser")


class Comparison:
    def __init__(self, bench: Bench, section: Section) -> None:
        from lms_identity.services.audit import Actor
        from lms_identity.services.connections import upsert_connection
        from lms_identity.services.tokens import issue_scim_token

        self.bench = bench
        self.section = section
        self.people = 8_000 if bench.quick else 40_000
        self.rounds = 2 if bench.quick else 3
        self.duration = bench.seconds(4, 1.5)
        self.rng = random.Random(15)
        # Ours: a fresh database of this section, the people seeded as the SCIM section seeds them.
        self.ours_db = bench.fresh_database("peer_ours")
        idp, _ = upsert_connection("bench-peer", actor=Actor.system("bench"))
        _, token = issue_scim_token(idp, actor=Actor.system("bench"))
        db.seed_users(idp.pk, 1, self.people)
        CeilingRow.objects.bulk_create(
            [CeilingRow(key=f"seed-{i}", payload={"n": i}) for i in range(1, CEILING_ROWS + 1)]
        )
        db.analyze("lms_identity_user", "bench_ceilingrow")
        self.ceiling_ids = list(CeilingRow.objects.values_list("pk", flat=True))
        self.ours_headers = {"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPE}
        self.peer = PeerDatabase(bench, self.people)
        self.peer_headers = {"Authorization": f"Bearer {self.peer.token}", "Content-Type": CONTENT_TYPE}
        # Half the people serve reads and attribute changes; each deactivation takes the next of the rest.
        self.next_leaver = self.people // 2 + 1
        self.leavers_per_run = (self.people // 2) // (len(LEVELS) * self.rounds)

    def people_paths(self, kind: Kind, path_of: Callable[[int], str]) -> list[str]:
        if kind.distinct_people:
            first = self.next_leaver
            return [path_of(n) for n in range(first, first + self.leavers_per_run)]
        return [path_of(self.rng.randint(1, self.people // 2)) for _ in range(3000)]

    def specs(
        self, kind: Kind, connections: int, ours_port: int, peer_port: int
    ) -> dict[str, dict[str, Any]]:
        common = {
            "method": kind.method,
            "connections": connections,
            "duration": self.duration,
            "max_requests": 1_000_000,
            "warmup": 10,
            "keep_latencies": True,
        }
        run = f"{self.bench.run_id}-{connections}-{self.rng.randint(0, 10**9)}"
        ceiling_paths = {
            "read": [f"/bench/ceiling/read/{pk}/" for pk in self.ceiling_ids],
            "insert": ["/bench/ceiling/insert/"],
            "update": [f"/bench/ceiling/update/{pk}/" for pk in self.ceiling_ids],
        }[kind.ceiling]
        ceiling_body = {
            "read": None,
            "insert": ceiling_section.USER_BODY.replace("__KEY__", f"c{run}-__N__").replace(
                '"userName"', f'"key":"c{run}-__N__","userName"'
            ),
            "update": okta_replace({"title": "Title __N__"}),
        }[kind.ceiling]
        if kind.method == "POST":
            ours_paths = peer_paths = ["/scim/v2/Users"]
        else:
            ours_paths = self.people_paths(kind, lambda n: f"/scim/v2/Users/{db.user_id(n)}")
            peer_paths = self.people_paths(kind, lambda n: f"/scim/v2/Users/{n}")
            if kind.distinct_people:
                self.next_leaver += self.leavers_per_run

        def body(template: str | None, side: str) -> str | None:
            return None if template is None else template.replace("__KEY__", f"{side}{run}-__N__")

        return {
            "ceiling": {
                **common,
                "port": self.bench.port,
                "paths": ceiling_paths,
                "headers": {"Content-Type": "application/json"},
                "body_template": ceiling_body,
                "expect": [201 if kind.ceiling == "insert" else 200],
            },
            "ours": {
                **common,
                "port": ours_port,
                "paths": ours_paths,
                "headers": self.ours_headers,
                "body_template": body(kind.ours_body, "o"),
                "expect": [kind.expect],
            },
            "peer": {
                **common,
                "port": peer_port,
                "paths": peer_paths,
                "headers": self.peer_headers,
                "body_template": body(kind.peer_body, "p"),
                "expect": [kind.expect],
            },
        }

    def measure(self) -> dict[tuple[str, int], dict[str, dict[str, Any]]]:
        ours = self.bench.server(self.ours_db)
        peer = server.Gunicorn(
            port=server.free_port(),
            database_url=self.peer.url,
            redis_url=self.bench.redis_url,
            app="bench.peer.wsgi:application",
            settings="bench.peer.settings",
            name="gunicorn-peer",
        )
        figures: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
        try:
            for kind in KINDS:
                for connections in LEVELS:
                    rounds: dict[str, list[dict[str, Any]]] = {"ceiling": [], "ours": [], "peer": []}
                    for _ in range(self.rounds):
                        for side, spec in self.specs(kind, connections, ours.port, peer.port).items():
                            spec = {k: v for k, v in spec.items() if v is not None}
                            result = server.load(spec)
                            ceiling_section.check(result, f"{side}: {kind.name} at {connections}")
                            rounds[side].append(result)
                    figures[(kind.name, connections)] = {s: combine(r) for s, r in rounds.items()}
                    print(
                        f"  {kind.name}, {connections}: "
                        + ", ".join(f"{s} {brief(r)}" for s, r in figures[(kind.name, connections)].items()),
                        flush=True,
                    )
        finally:
            peer.stop()
        return figures


def run(bench: Bench, section: Section) -> None:
    _landed()
    comparison = Comparison(bench, section)
    figures = comparison.measure()
    for kind in KINDS:
        for connections in LEVELS:
            r = figures[(kind.name, connections)]
            ours, peer, ceiling = r["ours"], r["peer"], r["ceiling"]
            vs_peer = ours["rps"] / peer["rps"]
            vs_ceiling = ours["rps"] / ceiling["rps"]
            target = "≥ 1.0× the peer's rate, p99 ≤ the peer's"
            passed = vs_peer >= 1.0 and ours["p99_ms"] <= peer["p99_ms"]
            if kind.method == "POST":
                target += "; ≥ 0.5× the ceiling's"
                passed = passed and vs_ceiling >= 0.5
            section.add(
                f"{kind.name}, {connections} connection{'s' if connections > 1 else ''}",
                f"ours {brief(ours)}; peer {brief(peer)}; ceiling {brief(ceiling)}",
                target,
                passed,
                f"ours/peer {vs_peer:.2f}×, ours/ceiling {vs_ceiling:.2f}× (peer/ceiling "
                f"{peer['rps'] / ceiling['rps']:.2f}×)",
            )
    section.note(
        "The peer is stock django-scim2 0.23.0 with its default adapters and views (bench/peer/): Django's "
        "AbstractUser with the library's AbstractSCIMUserMixin, a bearer-token middleware looking the token "
        "up per request, Django's default middleware, the same gunicorn settings and database connection "
        "settings as ours, its own database on the same PostgreSQL."
    )
    section.note(
        f"{comparison.people:,} people seeded on each side; {comparison.rounds} interleaved rounds of "
        f"{comparison.duration:g} s per side per figure (ceiling, ours, peer, ...), after 10 warm-up "
        "requests per connection. The ceiling is a bare view on our server: read one row, insert one row "
        "from the same JSON body as the POST, update one row by primary key (for both PATCH figures)."
    )
    section.note(
        "What each side does per request: ours one transaction with the change, its audit event and "
        "outbox event, row lock, If-Match and adoption/uniqueness checks, and a leaver's sessions ended; "
        "the peer saves the row (a create in two autocommitted statements, a PATCH rewrites every column) "
        "with none of those, and renders the user's groups with one more query. PATCH replace: ours is "
        "Okta's path-less `title` replace, the peer's `name.givenName` with a path (it maps no title). "
        "PATCH active=false: Okta's path-less body on both sides, each request a different active person."
    )
