"""Where a SCIM request's time goes: `python -m bench.profile [--requests N] [--sql] [--top N]`.

Runs each common request kind (POST /Users, PATCH replace title, PATCH active=false, GET /Users/{id})
in this process through Django's test client against the database in DATABASE_URL (PostgreSQL; the
tables must be migrated, a throwaway database: it creates a connection, a token and people), and prints
per kind: the mean time per request and how much of it is this process's CPU (Python: Django, the ORM,
our code; the rest is waiting on PostgreSQL), the SQL statements of one request, and cProfile's functions with
the most cumulative time. The numbers are for comparing before and after a change on the same machine,
not a rate (no server, no network).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

CONTENT_TYPE = "application/scim+json"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_BODY = (
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
    '"userName":"__KEY__@profile.example","externalId":"__KEY__","active":true,'
    '"name":{"givenName":"Post","familyName":"Profile"},'
    '"emails":[{"value":"__KEY__@profile.example","type":"work","primary":true}],'
    '"displayName":"Post Profile","title":"Engineer",'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":'
    '{"department":"Department 1","employeeNumber":"P1"}}'
)


def okta_replace(value: dict[str, Any]) -> str:
    """Okta's path-less replace, as Okta sends a profile change or a deactivation."""
    return json.dumps({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": value}]})


def kinds(client: Any, ids: list[str], run: str) -> dict[str, Callable[[int], Any]]:
    """Each request kind as a function of the request's number (so each POST has a new userName and
    each deactivation a person still active)."""
    return {
        "POST /Users": lambda n: client.post(
            "/scim/v2/Users",
            data=USER_BODY.replace("__KEY__", f"p{run}-{n}"),
            content_type=CONTENT_TYPE,
        ),
        "PATCH replace title": lambda n: client.patch(
            f"/scim/v2/Users/{ids[n]}", data=okta_replace({"title": f"Title {n}"}), content_type=CONTENT_TYPE
        ),
        "PATCH active=false": lambda n: client.patch(
            f"/scim/v2/Users/{ids[-1 - n]}", data=okta_replace({"active": False}), content_type=CONTENT_TYPE
        ),
        "GET /Users/{id}": lambda n: client.get(f"/scim/v2/Users/{ids[n]}"),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per kind (default 300)")
    parser.add_argument("--top", type=int, default=25, help="functions to list per kind")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one request of each kind")
    parser.add_argument("--no-profile", action="store_true", help="times and queries only")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lms_identity.services.audit import Actor
    from lms_identity.services.connections import upsert_connection
    from lms_identity.services.tokens import issue_scim_token

    run = uuid.uuid4().hex[:8]
    idp, _ = upsert_connection(f"profile-{run}", actor=Actor.system("profile"))
    _, token = issue_scim_token(idp, actor=Actor.system("profile"))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    needed = 2 * (args.requests + 2)
    ids = []
    for n in range(needed):
        response = client.post(
            "/scim/v2/Users", data=USER_BODY.replace("__KEY__", f"s{run}-{n}"), content_type=CONTENT_TYPE
        )
        ids.append(response.json()["id"])
    for name, send in kinds(client, ids, run).items():
        client.get("/scim/v2/ServiceProviderConfig")  # the token remembered (SCIM_TOKEN_CACHE_MS)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            response = send(0)
        queries = [q["sql"] for q in captured.captured_queries]  # a view of the log: copy it now
        if response.status_code not in (200, 201):
            print(f"{name}: answered {response.status_code}: {response.content[:300]!r}", file=sys.stderr)
            return 1
        profiler = cProfile.Profile()
        began, cpu_began = time.perf_counter(), time.process_time()
        if not args.no_profile:
            profiler.enable()
        for n in range(1, args.requests + 1):
            send(n)
        profiler.disable()
        mean = (time.perf_counter() - began) * 1000 / args.requests
        cpu = (time.process_time() - cpu_began) * 1000 / args.requests
        print(
            f"## {name}: {mean:.2f} ms per request in process, of which {cpu:.2f} ms this process's CPU "
            f"(the rest waits on PostgreSQL), {len(queries)} queries"
        )
        if args.sql:
            for query in queries:
                print(f"   {query[:300]}")
        if not args.no_profile:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
