"""The audit hash chain: sealing committed events, verifying the chain, signing checkpoints.

Why seal after commit rather than chain inside the writer's transaction: a chain needs one order, so
chaining inside each change's transaction would make every audited transaction in the service (a SCIM
PATCH, a reconcile chunk of 10,000 events) wait for the previous one to commit. Instead writers only
INSERT (one statement, no shared lock), and a sealer gives committed events their position and hash in
one short transaction, under a lock on the single chain-head row: sealers run one at a time, writers
never wait. Each writing transaction wakes its process's sealer thread on commit (audit_sealer.py), so
the request does not wait for the seal either, and the `provisioning.checkpoint_audit` beat task seals
whatever is left before it signs a checkpoint. An event is unsealed from its commit until the next seal,
normally milliseconds.

The hash of event n is HMAC-SHA256(AUDIT_HMAC_KEY, hash(n-1) + "\n" + canonical JSON of its id,
position, time, actor, action, target, connection, context and personal digest), where the personal
digest is SHA-256 over the personal fields (actor_label, target_label, changes). A purge may pseudonymise
those fields through lms_identity/services/audit_redaction.py: the event is marked redacted and keeps
its digest, so the chain still verifies and shows which events were redacted.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from lms_identity.models import AuditChainHead, AuditCheckpoint, AuditEvent

log = logging.getLogger("lms_identity.audit")

SEAL_BATCH = 5000
VERIFY_CHUNK = 10000
HEAD_ID = 1
CHAINED_FIELDS = (
    "id",
    "at",
    "actor_type",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "connection_id",
    "context",
)
PERSONAL_FIELDS = ("actor_label", "target_label", "changes")


def _key() -> bytes:
    return str(settings.AUDIT_HMAC_KEY).encode()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode()


def personal_digest(row: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical([row[name] for name in PERSONAL_FIELDS])).hexdigest()


def event_hash(previous: str, seq: int, row: dict[str, Any], digest: str) -> str:
    body = [seq, *(row[name] for name in CHAINED_FIELDS), digest]
    body[2] = row["at"].isoformat()
    message = previous.encode() + b"\n" + _canonical(body)
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def sign(seq: int, chain_hash: str) -> str:
    return hmac.new(_key(), f"checkpoint:{seq}:{chain_hash}".encode(), hashlib.sha256).hexdigest()


def seal_pending(*, wait: bool = True, limit: int | None = None) -> int:
    """Chain every committed, unsealed event, oldest id first, in batches of SEAL_BATCH. Locks the chain
    head (with wait=False, returns 0 when another sealer holds it). Idempotent: sealed events are never
    touched again. Returns how many events were sealed."""
    sealed = 0
    while limit is None or sealed < limit:
        batch = SEAL_BATCH if limit is None else min(SEAL_BATCH, limit - sealed)
        try:
            count = _seal_batch(batch, wait=wait)
        except OperationalError:
            if wait:
                raise
            return sealed  # NOWAIT refused: another sealer is at work; it or the beat task takes these
        sealed += count
        if count < batch:
            break
    return sealed


def _seal_batch(size: int, *, wait: bool) -> int:
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        head = _locked_head(wait=wait)
        rows = list(
            AuditEvent.objects.pending().order_by("id").values(*CHAINED_FIELDS, *PERSONAL_FIELDS)[:size]
        )
        if not rows:
            return 0
        seq, previous, updates = head.seq, head.chain_hash, []
        for row in rows:
            seq += 1
            digest = personal_digest(row)
            previous = event_hash(previous, seq, row, digest)
            updates.append((seq, digest, previous, row["id"]))
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            # Raw SQL: the ORM refuses updates of audit events; this is the one write after insert, and
            # the PostgreSQL trigger allows it only while the chain fields are still empty.
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, personal_digest = %s, chain_hash = %s "  # noqa: S608
                "WHERE id = %s AND seq IS NULL",
                updates,
            )
        AuditChainHead.objects.filter(pk=HEAD_ID).update(
            seq=seq, chain_hash=previous, sealed_at=timezone.now()
        )
        return len(rows)


def _locked_head(*, wait: bool) -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update(nowait=not wait).get(pk=HEAD_ID)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.get_or_create(pk=HEAD_ID)  # a flushed test database; the migration made it
        return AuditChainHead.objects.select_for_update(nowait=not wait).get(pk=HEAD_ID)


def _commit_without_waiting_for_disk() -> None:
    """A seal can always be redone: if a crash loses its commit, the head and the events' chain fields
    roll back together and the next seal chains the same events again. So the request that triggered it
    need not wait for the disk flush (PostgreSQL's asynchronous commit keeps the database consistent)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


@dataclass(frozen=True)
class Problem:
    """The first broken or missing link: where (position and event id) and what is wrong."""

    position: int
    event_id: int | None
    kind: (
        str  # "altered", "missing", "personal_fields_altered", "redaction_unexplained", "head", "checkpoint"
    )
    detail: str

    def __str__(self) -> str:
        at = f"event id {self.event_id}" if self.event_id is not None else "no event"
        return f"{self.kind} at position {self.position} ({at}): {self.detail}"


@dataclass(frozen=True)
class Verification:
    checked: int
    head_seq: int
    pending: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain() -> Verification:
    """Walk the chain from position 1 and return the first broken or missing link, if any: an event
    whose hash does not match (altered), a position with no event (deleted), personal fields changed
    without a redaction or a redaction with no purge event, a head or a signed checkpoint the chain does
    not reach. Reads only; holds no lock."""
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first()
    head_seq, head_hash = (head.seq, head.chain_hash) if head else (0, "")
    checkpoints = {c.seq: c for c in AuditCheckpoint.objects.all()}
    pending = AuditEvent.objects.pending().count()
    expected, previous = 1, ""
    redactions: list[tuple[int, int, str, str]] = []
    purged: set[str] = set()
    problem = None
    for row in _sealed_rows():
        problem = _check_row(row, expected, previous)
        if problem:
            break
        previous = row["chain_hash"]
        if row["redacted"]:
            redactions.append((row["seq"], row["id"], row["target_id"], row["actor_id"]))
        if row["action"] == "user.purged":
            purged.add(row["target_id"])
        checkpoint = checkpoints.get(row["seq"])
        if checkpoint and not _checkpoint_holds(checkpoint, previous):
            problem = Problem(row["seq"], row["id"], "checkpoint", "a signed checkpoint names another hash")
            break
        expected += 1
    checked = expected - 1
    if problem is None:
        problem = (
            _unexplained_redaction(redactions, purged)
            or _head_problem(checked, previous, head_seq, head_hash)
            or _checkpoint_beyond(checked, max(checkpoints, default=0))
        )
    return Verification(checked=checked, head_seq=head_seq, pending=pending, problem=problem)


def _sealed_rows() -> Iterator[dict[str, Any]]:
    fields = (*CHAINED_FIELDS, *PERSONAL_FIELDS, "seq", "personal_digest", "chain_hash", "redacted", "action")
    last = 0
    while True:
        chunk = list(
            AuditEvent.objects.filter(seq__gt=last)
            .order_by("seq")
            .values(*dict.fromkeys(fields))[:VERIFY_CHUNK]
        )
        yield from chunk
        if len(chunk) < VERIFY_CHUNK:
            return
        last = chunk[-1]["seq"]


def _check_row(row: dict[str, Any], expected: int, previous: str) -> Problem | None:
    if row["seq"] != expected:
        return Problem(expected, None, "missing", f"no event at this position; the next is #{row['seq']}")
    digest = row["personal_digest"]
    if not row["redacted"] and personal_digest(row) != digest:
        return Problem(expected, row["id"], "personal_fields_altered", "labels or changes were rewritten")
    if not hmac.compare_digest(event_hash(previous, expected, row, digest), row["chain_hash"]):
        return Problem(expected, row["id"], "altered", "the event or the link to the previous one changed")
    return None


def _checkpoint_holds(checkpoint: AuditCheckpoint, chain_hash: str) -> bool:
    return hmac.compare_digest(checkpoint.chain_hash, chain_hash) and hmac.compare_digest(
        checkpoint.signature, sign(checkpoint.seq, checkpoint.chain_hash)
    )


def _unexplained_redaction(
    redactions: Iterable[tuple[int, int, str, str]], purged: set[str]
) -> Problem | None:
    for seq, event_id, target_id, actor_id in redactions:
        if target_id not in purged and actor_id not in purged:
            return Problem(seq, event_id, "redaction_unexplained", "redacted, but nobody it names was purged")
    return None


def _head_problem(checked: int, last_hash: str, head_seq: int, head_hash: str) -> Problem | None:
    if checked != head_seq or not hmac.compare_digest(last_hash, head_hash):
        return Problem(checked + 1, None, "head", f"the chain ends at #{checked}, its head says #{head_seq}")
    return None


def _checkpoint_beyond(checked: int, last_checkpoint: int) -> Problem | None:
    if last_checkpoint > checked:
        detail = f"a signed checkpoint vouches for #{last_checkpoint}, the chain ends at #{checked}"
        return Problem(checked + 1, None, "checkpoint", detail)
    return None


def write_checkpoint() -> AuditCheckpoint:
    """Seal what is pending, then record and log a signed checkpoint of the chain head (position and
    hash). The log line is the copy outside the database: keep the logs, and an event rewritten later
    cannot match the checkpoints already shipped. Writes one checkpoint row; not idempotent by design
    (each call is a new statement about now)."""
    seal_pending()
    head, _ = AuditChainHead.objects.get_or_create(pk=HEAD_ID)
    checkpoint = AuditCheckpoint.objects.create(
        seq=head.seq, chain_hash=head.chain_hash, signature=sign(head.seq, head.chain_hash)
    )
    log.info(
        "audit checkpoint seq=%s hash=%s signature=%s at=%s",
        checkpoint.seq,
        checkpoint.chain_hash,
        checkpoint.signature,
        checkpoint.at.isoformat(),
    )
    return checkpoint
