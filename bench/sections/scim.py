"""SCIM 2.0 (issue 2): POST rate, reads at growing table sizes, list pages, large group PATCHes, and
queries per request, against gunicorn on PostgreSQL.

The users table grows in place: 1k, then 100k, then 1M seeded users (quick: 1k, then 20k), each read
figure taken at each size with the same random-id workload, so a lookup that scans shows as a ratio.
"""

import json
import random
import statistics
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from django.db import connection as db_connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext

from bench import db, report, server
from bench.context import Bench, Skip
from bench.report import Section
from bench.sections import ceiling as ceiling_section

CONTENT_TYPE = "application/scim+json"
CONCURRENCY = ceiling_section.CONCURRENCY
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _landed() -> None:
    try:
        from provisioning.scim import urls
    except ImportError as exc:
        raise Skip(f"the SCIM endpoint does not import: {exc}") from None
    if len(getattr(urls, "urlpatterns", [])) < 2:
        raise Skip("the SCIM endpoint has not landed (provisioning/scim/urls.py has no routes)")


def sizes(bench: Bench) -> list[int]:
    return [1_000, 20_000] if bench.quick else [1_000, 100_000, 1_000_000]


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def user_path(n: int) -> str:
    return f"/scim/v2/Users/{db.user_id(n)}"


def filter_path(n: int) -> str:
    return "/scim/v2/Users?" + urlencode({"filter": f'userName eq "{db.user_name(n)}"'}, quote_via=quote)


def external_filter_path(n: int) -> str:
    return "/scim/v2/Users?" + urlencode({"filter": f'externalId eq "ext-{n}"'}, quote_via=quote)


def patch_members(op: str, ids: list[Any]) -> dict[str, Any]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": op, "path": "members", "value": [{"value": str(i)} for i in ids]}],
    }


class Scim:
    def __init__(self, bench: Bench, section: Section) -> None:
        from lms_identity.services.audit import Actor
        from lms_identity.services.connections import upsert_connection
        from lms_identity.services.tokens import issue_scim_token

        self.bench = bench
        self.section = section
        self.ceiling = ceiling_section.ensure(bench)
        self.name = bench.database()
        self.connection, _ = upsert_connection("bench-scim", actor=Actor.system("bench"))
        _, self.token = issue_scim_token(self.connection, actor=Actor.system("bench"))
        self.headers = {"Authorization": f"Bearer {self.token}", "Content-Type": CONTENT_TYPE}
        self.web = bench.server(self.name)
        self.seeded = 0
        self.rng = random.Random(2)
        self.duration = bench.seconds(10, 3)

    # -- data

    def grow(self, size: int) -> float:
        began = time.monotonic()
        if size > self.seeded:
            db.seed_users(self.connection.pk, self.seeded + 1, size)
            self.seeded = size
            db.analyze("lms_identity_user", "lms_identity_membership")
        return time.monotonic() - began

    def group(self, display_name: str, members: int = 0, first: int = 1) -> str:
        client = server.Client(self.web.port, self.headers)
        _, body = client.send(
            "POST", "/scim/v2/Groups", {"schemas": [GROUP_SCHEMA], "displayName": display_name}, expect=(201,)
        )
        client.close()
        group_id = json.loads(body)["id"]
        if members:
            db.seed_memberships(group_id, first, first + members - 1)
            db.analyze("lms_identity_membership")
        return str(group_id)

    # -- measurements

    def load(
        self, paths: list[str], *, connections: int = 1, method: str = "GET", **spec: Any
    ) -> dict[str, Any]:
        result = server.load(
            {
                "port": self.web.port,
                "method": method,
                "paths": paths,
                "headers": self.headers,
                "connections": connections,
                "duration": self.duration,
                "max_requests": spec.pop("max_requests", 3000),
                "warmup": spec.pop("warmup", 25),
                **spec,
            }
        )
        ceiling_section.check(result, f"{method} {paths[0][:80]}")
        return result

    def reads(self, size: int) -> dict[str, dict[str, Any]]:
        numbers = [self.rng.randint(1, size) for _ in range(3000)]
        return {
            "id": self.load([user_path(n) for n in numbers]),
            "filter": self.load([filter_path(n) for n in numbers]),
            "external": self.load([external_filter_path(n) for n in numbers]),
        }

    def posts(
        self, levels: tuple[int, ...] = (1, CONCURRENCY), first_n: int = 1
    ) -> dict[int, dict[str, Any]]:
        template = ceiling_section.USER_BODY.replace("__KEY__", f"post-{self.bench.run_id}-__N__")
        results = {}
        for connections in levels:
            results[connections] = self.load(
                ["/scim/v2/Users"],
                method="POST",
                connections=connections,
                body_template=template,
                first_n=first_n,
                expect=[201],
                max_requests=100_000,
                warmup=5,
            )
            first_n += 1_000_000
        return results

    def queries(self, size: int) -> dict[str, int]:
        """Queries per request, counted in this process through Django's test client."""
        from lms_identity.models import Group

        client = DjangoClient(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        group_id = self.group(f"queries-{size}", members=max(10, size // 10))
        user_ids = [db.user_id(n) for n in (size // 2, size // 3)]
        post_body = json.loads(
            ceiling_section.USER_BODY.replace("__KEY__", f"queries-{size}-{self.bench.run_id}").replace(
                "__N__", "1"
            )
        )
        requests: list[tuple[str, str, str, Any, int]] = [
            ("GET by id", "get", user_path(size // 2), None, 200),
            ("GET filter userName eq", "get", filter_path(size // 3), None, 200),
            ("GET list page of 100", "get", "/scim/v2/Users?startIndex=1&count=100", None, 200),
            ("POST /Users", "post", "/scim/v2/Users", post_body, 201),
            (
                "PATCH user title",
                "patch",
                user_path(size // 2),
                {
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "path": "title", "value": f"T{size}"}],
                },
                200,
            ),
            (
                "PATCH group add 1 member",
                "patch",
                f"/scim/v2/Groups/{group_id}",
                patch_members("add", user_ids[:1]),
                204,
            ),
            (
                "PATCH group remove 1 member",
                "patch",
                f"/scim/v2/Groups/{group_id}",
                patch_members("remove", user_ids[:1]),
                204,
            ),
            (
                "GET groups list, excludedAttributes=members",
                "get",
                "/scim/v2/Groups?excludedAttributes=members",
                None,
                200,
            ),
        ]
        counts = {}
        # The token's last-used time is written at most once a minute, and the first write on a database
        # connection sets its lock_timeout once (provisioning/scim/views/base.py): take both out of the
        # counts, which are for the steady state.
        client.get(user_path(1))
        client.post(
            "/scim/v2/Users",
            data=json.dumps({"userName": f"warm-{uuid.uuid4().hex}@bench.example"}),
            content_type=CONTENT_TYPE,
        )
        for name, method, path, body, expect in requests:
            # A live token is remembered for SCIM_TOKEN_CACHE_MS: count each request as the steady state.
            client.get("/scim/v2/ServiceProviderConfig")
            kwargs: dict[str, Any] = {}
            if body is not None:
                kwargs = {"data": json.dumps(body), "content_type": CONTENT_TYPE}
            with CaptureQueriesContext(db_connection) as captured:
                response = getattr(client, method)(path, **kwargs)
            if response.status_code != expect:
                raise RuntimeError(f"{name} answered {response.status_code}: {response.content[:300]!r}")
            counts[name] = len(captured.captured_queries)
        counts["(groups in table)"] = Group.objects.count()
        return counts

    def timed(
        self, client: server.Client, method: str, path: str, body: Any, expect: tuple[int, ...]
    ) -> float:
        elapsed, _ = client.send(method, path, body, expect=expect)
        return elapsed

    def patches(self, size: int) -> dict[str, Any]:
        big = min(100_000, size // 2)
        big_group = self.group(f"big-{big}", members=big, first=1)
        small_group = self.group("small-10", members=10, first=size - 9)
        client = server.Client(self.web.port, self.headers)
        rounds = 10 if self.bench.quick else 30

        def remove_then_restore(group_id: str, n: int) -> float:
            uid = [db.user_id(n)]
            took = self.timed(
                client, "PATCH", f"/scim/v2/Groups/{group_id}", patch_members("remove", uid), (204,)
            )
            self.timed(client, "PATCH", f"/scim/v2/Groups/{group_id}", patch_members("add", uid), (204,))
            return took

        def add_then_remove(group_id: str, numbers: list[int]) -> float:
            uids = [db.user_id(n) for n in numbers]
            took = self.timed(
                client, "PATCH", f"/scim/v2/Groups/{group_id}", patch_members("add", uids), (204,)
            )
            self.timed(client, "PATCH", f"/scim/v2/Groups/{group_id}", patch_members("remove", uids), (204,))
            return took

        # Alternating the two groups, so a slow moment of the machine hits both alike.
        remove_big, remove_small = [], []
        for i in range(rounds):
            remove_big.append(remove_then_restore(big_group, 1 + i * 7))
            remove_small.append(remove_then_restore(small_group, size - 9 + i % 10))
        # 100 people not in the big group (it holds users 1..big).
        outsiders = list(range(big + 1, big + 101))
        empty = self.group("empty-for-100")
        add100_big, add100_empty = [], []
        for _ in range(rounds // 2):
            add100_big.append(add_then_remove(big_group, outsiders))
            add100_empty.append(add_then_remove(empty, outsiders))
        add10k = []
        for i in range(3):
            group_id = self.group(f"add-10k-{i}")
            first = 1 + i * 10_000
            uids = [db.user_id(n) for n in range(first, first + 10_000)]
            add10k.append(
                self.timed(client, "PATCH", f"/scim/v2/Groups/{group_id}", patch_members("add", uids), (204,))
            )
        client.close()
        return {
            "big": big,
            "remove_big": statistics.median(remove_big),
            "remove_small": statistics.median(remove_small),
            "add100_big": statistics.median(add100_big),
            "add100_empty": statistics.median(add100_empty),
            "add10k": statistics.median(add10k),
        }

    def lists(self, size: int) -> dict[str, dict[str, Any]]:
        deep = [self.rng.randint(1, max(1, size - 100)) for _ in range(500)]
        return {
            "first": self.load(["/scim/v2/Users?startIndex=1&count=100"], max_requests=1000),
            "deep": self.load([f"/scim/v2/Users?startIndex={s}&count=100" for s in deep], max_requests=1000),
            "groups": self.load(["/scim/v2/Groups?excludedAttributes=members&count=100"], max_requests=1000),
        }


def run(bench: Bench, section: Section) -> None:
    _landed()
    scim = Scim(bench, section)
    steps = sizes(bench)
    reads: dict[int, dict[str, dict[str, Any]]] = {}
    queries: dict[int, dict[str, int]] = {}
    seeding: dict[int, float] = {}
    posts: dict[int, dict[str, Any]] = {}
    for i, size in enumerate(steps):
        seeding[size] = scim.grow(size)
        print(f"  seeded {size:,} users in {seeding[size]:.0f} s", flush=True)
        reads[size] = scim.reads(size)
        if i == 0:
            queries[size] = scim.queries(size)
            posts = scim.posts()
    largest = steps[-1]
    posts_large = scim.posts((1,), first_n=10_000_000)[1]
    lists = scim.lists(largest)
    patches = scim.patches(largest)
    queries[largest] = scim.queries(largest)
    report_figures(section, scim.ceiling, steps, reads, posts, lists, patches, queries)
    r = posts_large
    section.add(
        f"POST /Users at {label(largest)} users, 1 connection: rate",
        ceiling_section.summary(r),
        "≥ 25 req/s per connection",
        r["rps"] >= 25,
    )
    section.add(
        f"POST /Users at {label(largest)} users, 1 connection: p99",
        report.ms(r["p99_ms"]),
        "< 100 ms",
        r["p99_ms"] < 100,
    )
    times = ", ".join(f"{label(s)} {t:.0f} s" for s, t in seeding.items())
    section.note(
        "Sizes are seeded users of one connection (plus the few thousand the POST figures created); the "
        f"POST figures without a size are taken at {label(steps[0])} users; seeding times: {times}."
    )
    section.note(
        "Reads are one connection sending back to back over random seeded ids; each read figure is "
        f"{bench.seconds(10, 3):.0f} s or 3,000 requests."
    )


def report_figures(
    section: Section,
    ceiling: dict[str, dict[str, Any]],
    steps: list[int],
    reads: dict[int, dict[str, dict[str, Any]]],
    posts: dict[int, dict[str, Any]],
    lists: dict[str, dict[str, Any]],
    patches: dict[str, Any],
    queries: dict[int, dict[str, int]],
) -> None:
    summary = ceiling_section.summary
    one, many = posts[1], posts[CONCURRENCY]
    section.add(
        "POST /Users, 1 connection: rate",
        summary(one),
        "≥ 25 req/s per connection",
        one["rps"] >= 25,
        f"{one['rps'] / ceiling['insert_1']['rps']:.0%} of insert at 1 connection",
    )
    section.add("POST /Users, 1 connection: p99", report.ms(one["p99_ms"]), "< 100 ms", one["p99_ms"] < 100)
    share = many["rps"] / ceiling[f"insert_{CONCURRENCY}"]["rps"]
    section.add(
        f"POST /Users, {CONCURRENCY} connections: rate",
        summary(many),
        "≥ 50 % of the ceiling's insert rate",
        share >= 0.5,
        f"{share:.0%} of insert at {CONCURRENCY} connections",
    )
    section.add(
        f"POST /Users, {CONCURRENCY} connections: p99",
        report.ms(many["p99_ms"]),
        "< 100 ms",
        many["p99_ms"] < 100,
    )
    small, large = steps[0], steps[-1]
    read_ceiling = ceiling["read_1"]["p99_ms"]
    for key, what in (
        ("id", "GET /Users/{id}"),
        ("filter", "GET /Users?filter=userName eq"),
        ("external", "GET /Users?filter=externalId eq (Entra's match)"),
    ):
        for size in steps:
            r = reads[size][key]
            section.add(
                f"{what} at {label(size)} users: p99",
                f"{report.ms(r['p99_ms'])} (p50 {report.ms(r['p50_ms'])}, {report.rate(r['rps'])})",
                vs_ceiling=f"{r['p99_ms'] / read_ceiling:.1f}× read p99",
            )
        growth = reads[large][key]["p99_ms"] / reads[small][key]["p99_ms"]
        section.add(
            f"{what}: p99 at {label(large)} / p99 at {label(small)}",
            report.ratio(growth),
            "≤ 2×",
            growth <= 2,
        )
    for key, what in (
        ("first", "first page"),
        ("deep", "random startIndex across the table"),
    ):
        r = lists[key]
        section.add(
            f"GET /Users list page of 100 at {label(large)} users, {what}: p99",
            f"{report.ms(r['p99_ms'])} (p50 {report.ms(r['p50_ms'])})",
            "< 200 ms",
            r["p99_ms"] < 200,
            f"{r['p99_ms'] / read_ceiling:.1f}× read p99",
        )
    r = lists["groups"]
    section.add(
        "GET /Groups?excludedAttributes=members page of 100: p99",
        f"{report.ms(r['p99_ms'])} (p50 {report.ms(r['p50_ms'])})",
    )
    per_member = patches["add10k"] / 10_000
    section.add(
        "PATCH one group adding 10,000 members in one request",
        f"{report.ms(patches['add10k'])} ({per_member:.3f} ms per member; adding 100: "
        f"{report.ms(patches['add100_empty'])})",
        "proportional to the change: ≤ 100 × adding 100",
        patches["add10k"] <= 100 * patches["add100_empty"],
    )
    big = f"{patches['big']:,}"
    ratio = patches["add100_big"] / patches["add100_empty"]
    section.add(
        f"PATCH adding 100 members: to a {big}-member group vs an empty group",
        f"{report.ms(patches['add100_big'])} vs {report.ms(patches['add100_empty'])} ({report.ratio(ratio)})",
        "not proportional to the group: ≤ 2×",
        ratio <= 2,
    )
    ratio = patches["remove_big"] / patches["remove_small"]
    section.add(
        f"PATCH removing one member: from a {big}-member group vs a 10-member group",
        f"{report.ms(patches['remove_big'])} vs {report.ms(patches['remove_small'])} ({report.ratio(ratio)})",
        "not proportional to the group: ≤ 2×",
        ratio <= 2,
    )
    for name in queries[small]:
        if name.startswith("("):
            continue
        a, b = queries[small][name], queries[large][name]
        section.add(
            f"queries per request, {name}",
            f"{a} at {label(small)} users, {b} at {label(large)}",
            "constant in table size",
            a == b,
        )
    section.note(
        "Query counts come from Django's CaptureQueriesContext around the test client in the benchmark "
        "process, on the same database; the PATCH group counts use a group of a tenth of the users "
        f"({max(10, small // 10):,} members, then {max(10, large // 10):,})."
    )
