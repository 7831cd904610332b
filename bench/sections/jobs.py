"""Celery jobs and sweeps (issue 5): a sweep over 1M people, outbox dispatch throughput, and the
deprovisioning latency of leavers pushed through SCIM with a real worker running.

- The sweep: 1,000,000 people of one connection, 1 % of them inactive yet still holding a session and a
  license seat. `provisioning.services.job_runs.run_job("inactive_access")` runs in this process, as the
  task and the operators' command do (lease in Redis, job-run record, chunks, brake check).
- Outbox: pending user.changed events dispatched by `drain_outbox()` in this process, publishing the
  coalesced reconcile tasks to Redis (not consumed: only the dispatcher is timed).
- Latency: gunicorn and a Celery worker (with beat, as `make run` starts them) on a fresh database; each
  leaver holds a session and a seat; the benchmark sends PATCH active=false over SCIM, checks the session
  is gone when the response arrives, and polls the database until the seat is reclaimed.
"""

import threading
import time
from typing import Any

from bench import db, report, server
from bench.context import Bench, Skip
from bench.loadgen import percentile
from bench.report import Section

SWEEP_TARGET_S = 60
SESSIONS_TARGET_S = 1.0
SEATS_TARGET_S = 10.0
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _landed() -> None:
    try:
        from provisioning.services import job_runs, outbox_dispatch  # noqa: F401
        from provisioning.sweeps.registry import SWEEPS
    except ImportError as exc:
        raise Skip(f"the Celery jobs have not landed: {exc}") from None
    if "inactive_access" not in SWEEPS:
        raise Skip("the inactive-access sweep is not registered")
    try:
        from courses.models import Grant, LicensePool  # noqa: F401
        from courses.reconcile import reconcile_people  # noqa: F401
    except ImportError as exc:
        raise Skip(f"seats need the courses app: {exc}") from None


def seed_seats(pool_id: int, first: int, last: int, *, every: int = 1) -> int:
    """An active license seat for every `every`-th seeded user in first..last."""
    from courses.models import Grant

    present = {f.column for f in Grant._meta.concrete_fields}
    expressions = {
        "target_type": "'seat'",
        "pool_id": str(int(pool_id)),
        "user_id": "md5('bench-user-' || g)::uuid",
        "origin": "'license'",
        "origin_key": "'license'",
        "key": f"'seat:{int(pool_id)}'",
        "state": "'active'",
        "created_at": "now()",
        "updated_at": "now()",
    }
    expressions = {k: v for k, v in expressions.items() if k in present}
    return db.insert_select(
        Grant, expressions, first=first, last=last, params={}, where=f"mod(g, {every}) = 0"
    )


def sweep(bench: Bench, section: Section) -> None:
    from courses.models import Grant, LicensePool
    from lms_identity.models import User, UserSession
    from lms_identity.services.audit import Actor
    from lms_identity.services.connections import upsert_connection
    from provisioning.services.job_runs import run_job

    size = 50_000 if bench.quick else 1_000_000
    share = 100  # every 100th person: 1 %
    bench.fresh_database("jobs")
    connection, _ = upsert_connection("bench-jobs", actor=Actor.system("bench"))
    began = time.monotonic()
    db.seed_users(connection.pk, 1, size, active_every=share)
    db.seed_sessions(1, size, every=share, connection_id=connection.pk)
    pool = LicensePool.objects.create(product="Bench sweep seats", seat_count=size)
    seed_seats(pool.pk, 1, size, every=share)
    db.analyze("lms_identity_user", "lms_identity_usersession", "django_session", "courses_grant")
    print(
        f"  seeded {size:,} people ({size // share:,} to act on) in {time.monotonic() - began:.0f} s",
        flush=True,
    )
    leavers = User.objects.filter(is_active=False)
    dry_seconds, dry = _timed(run_job, "inactive_access", dry_run=True, trigger="command")
    seconds, run = _timed(run_job, "inactive_access", dry_run=False, trigger="command")
    if run is None:
        raise RuntimeError("the sweep did not run: another run holds its lease")
    left_sessions = UserSession.objects.filter(user__in=leavers).count()
    left_seats = Grant.objects.filter(user__in=leavers, state="active").count()
    acted = (run.counts or {}).get("people", run.counts)
    section.add(
        f"sweep `inactive_access` over {size:,} people, {size // share:,} (1 %) holding a session and a seat",
        f"{seconds:.1f} s ({run.status}; counts {report.safe(str(run.counts))[:160]})",
        f"< {SWEEP_TARGET_S} s, everyone acted on",
        seconds < SWEEP_TARGET_S and run.status == "done" and left_sessions == 0 and left_seats == 0,
    )
    section.add(
        "  after it: inactive people still holding a session / an active seat",
        f"{left_sessions:,} / {left_seats:,} (acted on {acted})",
        "0 / 0",
        left_sessions == 0 and left_seats == 0,
    )
    section.add(
        "the same sweep as a dry run (before the real one; reports only)",
        f"{dry_seconds:.1f} s ({getattr(dry, 'status', 'skipped')})",
    )


def outbox(bench: Bench, section: Section) -> None:
    from lms_identity.models import OutboxEvent
    from provisioning.services.outbox_dispatch import drain_outbox

    events = 5_000 if bench.quick else 50_000
    bench.database("jobs")
    size = _seeded_users()
    OutboxEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=_now())
    # Distinct people: one reconcile task per OUTBOX_RECONCILE_CHUNK of them.
    _insert_events(events, distinct=min(size, events))
    seconds, totals = _timed(drain_outbox, max_batches=1_000_000)
    left = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
    section.add(
        f"outbox dispatch: {events:,} user.changed events for {min(size, events):,} people",
        f"{report.rate(totals['events'] / seconds)} events ({seconds:.1f} s; "
        f"{totals['tasks']} tasks published; {left} left)",
        "",
        None if left == 0 else False,
    )
    # A burst on few people (10,000 PATCHes of the same 100): coalesced into a handful of tasks.
    _insert_events(events, distinct=100)
    seconds, totals = _timed(drain_outbox, max_batches=1_000_000)
    section.add(
        f"outbox dispatch: a burst of {events:,} events on the same 100 people",
        f"{report.rate(totals['events'] / seconds)} events ({seconds:.1f} s; coalesced into "
        f"{totals['tasks']} task(s))",
    )
    _purge_queue(bench)


def latency(bench: Bench, section: Section) -> None:
    from courses.models import EntitlementRule, Grant, LicensePool
    from courses.reconcile import reconcile_people
    from lms_identity.models import Group, UserSession
    from lms_identity.services.audit import Actor
    from lms_identity.services.connections import upsert_connection
    from lms_identity.services.tokens import issue_scim_token

    leavers = 20 if bench.quick else 100
    people = 5_000
    name = bench.fresh_database("jobs_latency")
    connection, _ = upsert_connection("bench-latency", actor=Actor.system("bench"))
    _, token = issue_scim_token(connection, actor=Actor.system("bench"))
    db.seed_users(connection.pk, 1, people)
    db.seed_sessions(1, leavers, connection_id=connection.pk)
    group = Group.objects.create(connection=connection, source="scim", display_name="Licensed")
    db.seed_memberships(group.pk, 1, leavers)
    pool = LicensePool.objects.create(product="Bench latency seats", seat_count=people)
    rule = EntitlementRule.objects.create(name="licensed", target_type="seat", pool=pool)
    rule.groups.set([group.pk])
    ids = [db.user_id(n) for n in range(1, leavers + 1)]
    reconcile_people(ids, actor=Actor.system("bench"))
    held = Grant.objects.filter(user_id__in=ids, pool=pool, state="active").count()
    if held != leavers:
        raise RuntimeError(f"{held} of {leavers} leavers hold a seat before the test")
    _purge_queue(bench)
    web = bench.server(name)
    worker = bench.worker(name, beat=True)
    time.sleep(3)  # the worker connects to Redis and beat loads its schedule
    if not worker.alive():
        raise RuntimeError(f"the Celery worker exited:\n{worker.tail()}")

    client = server.Client(
        web.port, {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    )
    sent: dict[Any, float] = {}
    response_s: dict[Any, float] = {}
    sessions_left: dict[Any, int] = {}
    reclaimed: dict[Any, float] = {}
    done = threading.Event()

    def poll() -> None:
        from django.db import connections

        try:
            while not done.is_set():
                pending = [u for u in sent if u not in reclaimed]
                if pending:
                    still = set(
                        Grant.objects.filter(user_id__in=pending, pool=pool, state="active").values_list(
                            "user_id", flat=True
                        )
                    )
                    now = time.time()
                    for user_id in pending:
                        if user_id not in still:
                            reclaimed[user_id] = now
                time.sleep(0.02)
        finally:
            connections.close_all()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    for _ in range(20):  # warm every gunicorn thread's database connection
        client.send("GET", "/scim/v2/Users?count=1")
    body = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": False}}]}
    for user_id in ids:
        began = time.time()
        sent[user_id] = began
        client.send("PATCH", f"/scim/v2/Users/{user_id}", body, expect=(200,))
        response_s[user_id] = time.time() - began
        sessions_left[user_id] = UserSession.objects.filter(user_id=user_id).count()
        time.sleep(0.2)  # five leavers a second
    deadline = time.time() + 60
    while len(reclaimed) < len(ids) and time.time() < deadline:
        time.sleep(0.1)
    done.set()
    poller.join(timeout=5)
    client.close()
    bench.stop_worker()

    sessions = sorted(response_s.values())
    seats = sorted(reclaimed[u] - sent[u] for u in ids if u in reclaimed)
    missing = len(ids) - len(seats)
    still_signed_in = sum(1 for v in sessions_left.values() if v)
    section.add(
        f"deprovisioning: SCIM PATCH active=false to sessions gone ({leavers} leavers, 5/s)",
        f"p99 {report.ms(percentile(sessions, 99) * 1000)} "
        f"(p50 {report.ms(percentile(sessions, 50) * 1000)}; "
        f"{still_signed_in} still signed in after the response)",
        f"< {SESSIONS_TARGET_S:.0f} s, synchronous",
        percentile(sessions, 99) < SESSIONS_TARGET_S and still_signed_in == 0,
    )
    section.add(
        "deprovisioning: SCIM PATCH active=false to seat reclaimed (worker running)",
        f"p99 {report.ms(percentile(seats, 99) * 1000)} (p50 {report.ms(percentile(seats, 50) * 1000)}; "
        f"{missing} not reclaimed within 60 s)"
        if seats
        else f"none reclaimed within 60 s (worker log: {report.safe(worker.tail(3))[:200]})",
        f"< {SEATS_TARGET_S:.0f} s",
        bool(seats) and missing == 0 and percentile(seats, 99) < SEATS_TARGET_S,
    )
    try:
        from provisioning.services.latency import latency_summary

        recorded = latency_summary()
        if recorded.get("leavers"):
            section.add(
                "the same, as the service records it (DeprovisioningLatency rows, server clock)",
                f"{recorded['leavers']} leavers; sessions gone p99 "
                f"{report.ms((recorded['sessions_gone_p99'] or 0) * 1000)}; seats reclaimed p99 "
                f"{report.ms((recorded['seats_reclaimed_p99'] or 0) * 1000)}",
            )
    except ImportError:
        pass
    section.note(
        "Seat latency is measured by polling the database every 20 ms from the benchmark process, from the "
        "moment the PATCH was sent; the worker runs 2 processes with beat (the outbox drain every 5 s is the "
        "fallback for the on-commit nudge)."
    )


def run(bench: Bench, section: Section) -> None:
    _landed()
    sweep(bench, section)
    outbox(bench, section)
    latency(bench, section)


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - began, result


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _seeded_users() -> int:
    from lms_identity.models import User

    return User.objects.count()


def _insert_events(count: int, *, distinct: int) -> None:
    from lms_identity.models import OutboxEvent

    db.insert_select(
        OutboxEvent,
        {
            "kind": "'user.changed'",
            "payload": "jsonb_build_object('user_ids', jsonb_build_array("
            f"md5('bench-user-' || (1 + mod(g, {distinct})))::uuid::text))",
            "created_at": "now()",
            "dispatched_at": "NULL",
            "attempts": "0",
            "last_error": "''",
        },
        first=1,
        last=count,
        params={},
    )


def _purge_queue(bench: Bench) -> None:
    """Drop the tasks the dispatcher published into our own Redis database (nothing consumes them here)."""
    import redis

    client = redis.Redis.from_url(bench.redis_url)
    for key in client.scan_iter(match="celery*"):
        client.delete(key)
    for key in client.scan_iter(match="_kombu*"):
        client.delete(key)
