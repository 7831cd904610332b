"""Audit events for the evidence section: writers in separate processes, and a million sealed events.

Writers are forked processes (as gunicorn's workers are), each with its own database connection,
writing through record_event: each commit nudges the sealing worker the caller runs (the
provisioning.seal_audit task on the audit queue, as deployed), so the chain's cost includes that worker's
seals on the same cores. Without the chain, a writer INSERTs the same row in the same one-event
transaction and nudges nothing.

Seeding: unsealed events go in with one `INSERT ... SELECT FROM generate_series` and are sealed by the
service's own seal_pending (timed: the sealing figure). A million events sealed that way take several
minutes on this machine, almost all of it PostgreSQL rewriting each row and its seven index entries, so
the bulk of the verify figure's events is written already sealed instead: the same rows, chained by the
service's ChainHasher continuing from the chain head, COPYed in, the head moved to the last of them.
verify_audit then checks every one of them like any other event.
"""

import json
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, connections, transaction

from bench import db
from lms_identity.models import AuditChainHead, AuditEvent
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import HEAD_ID, ChainHasher, ChainRow, seal_pending

ACTION = "user.updated"
COLUMNS = ChainRow._fields  # the event's columns in the order the chain reads them


def ask_nobody() -> None:
    """BENCH_AUDIT_SEAL=none (bench/settings.py): the seal nudge that asks no worker."""


def _writer(chained: bool, events: int, start: Any) -> None:
    """One writer process: `events` one-event transactions, as a SCIM PATCH writes its event."""
    actor = Actor.system("bench writer")
    start.wait()
    for n in range(events):
        changes = {"title": [f"Title {n}", f"Title {n + 1}"]}
        context = {"request_id": f"bench-{n}", "via": "scim"}
        with transaction.atomic():
            if chained:
                record_event(actor, ACTION, changes=changes, context=context)
            else:
                AuditEvent.objects.create(
                    actor_type=actor.type,
                    actor_label=actor.label,
                    action=ACTION,
                    changes={k: list(v) for k, v in changes.items()},
                    context=context,
                )
    # No wait for this process's last nudge (its thread sleeps up to a second between publishes): the
    # caller waits for the worker's seals, and seals what a lost nudge left itself, inside the timing.
    connections.close_all()


def append(*, chained: bool, writers: int, events: int) -> dict[str, Any]:
    """Run `writers` processes of `events` transactions each; time from their common start until the
    last one is done (`written`) and, with the chain, until no event is left unsealed (`seconds`).
    Returns events/s."""
    context = multiprocessing.get_context("fork")
    connections.close_all()  # each child opens its own connection
    start = context.Barrier(writers + 1)
    children = [context.Process(target=_writer, args=(chained, events, start)) for _ in range(writers)]
    for child in children:
        child.start()
    start.wait()
    began = time.perf_counter()
    for child in children:
        child.join(timeout=900)
    written = time.perf_counter() - began
    if any(child.exitcode != 0 for child in children):
        raise RuntimeError(f"an audit writer failed: exit codes {[c.exitcode for c in children]}")
    late = 0
    if chained:
        # What the worker has not sealed yet (the writers' last second, whose nudges ended with them):
        # sealed here at once, counted in the chain's time.
        late = seal_pending()
    elapsed = time.perf_counter() - began
    if not chained:
        seal_pending()  # outside the timing, so the next chained round seals only its own events
    if AuditEvent.objects.pending().exists():
        raise RuntimeError("events were left unsealed after a round")
    total = writers * events
    return {
        "events": total,
        "seconds": elapsed,
        "written": written,
        "rate": total / elapsed,
        "sealed_late": late,
    }


def insert_unsealed(first: int, last: int) -> int:
    """Unsealed events first..last (a SCIM change each), in one INSERT ... SELECT."""
    expressions = {
        "at": "now() - make_interval(secs => (%(last)s - g) / 1000.0)",
        "actor_type": "'connection'",
        "actor_id": "'1'",
        "actor_label": "'bench-evidence'",
        "action": f"'{ACTION}'",
        "target_type": "'user'",
        "target_id": "md5('bench-user-' || g)::uuid::text",
        "target_label": f"'user' || g || '@{db.SEEDED_DOMAIN}'",
        "connection_id": "1",
        "changes": "jsonb_build_object('title', "
        "jsonb_build_array('Title ' || mod(g, 20), 'Title ' || mod(g + 1, 20)))",
        "context": "jsonb_build_object('request_id', md5('r' || g), 'via', 'scim')",
    }
    return db.insert_select(AuditEvent, expressions, first=first, last=last, params={"last": last})


def copy_sealed(count: int, *, batch: int = 50_000) -> int:
    """Append `count` events already chained (see the module docstring), continuing the chain head."""
    hasher = ChainHasher()
    head = AuditChainHead.objects.get(pk=HEAD_ID)
    seq, previous = head.seq, head.chain_hash
    next_id = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    began = datetime.now(UTC) - timedelta(days=30)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    written = 0
    while written < count:
        size = min(batch, count - written)
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                for event_id in range(next_id, next_id + size):
                    n = event_id
                    event = ChainRow(
                        event_id,
                        began + timedelta(microseconds=n * 997),
                        "connection",
                        "1",
                        ACTION,
                        "user",
                        str(db.user_id(n)),
                        1,
                        json.dumps({"request_id": f"r{n}", "via": "scim"}),
                        "bench-evidence",
                        db.user_name(n),
                        json.dumps({"title": [f"Title {n % 20}", f"Title {(n + 1) % 20}"]}),
                    )
                    seq += 1
                    digest = hasher.personal_digest(event)
                    previous = hasher.link(previous, seq, event, digest)
                    copy.write_row([*event[:12], seq, digest, previous, False])
            AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=seq, chain_hash=previous)
        next_id += size
        written += size
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [AuditEvent._meta.db_table, next_id]
        )
    return written
