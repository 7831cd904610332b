"""The audit hash chain: its hashes, sealing committed events, signing checkpoints (audit_verify.py
walks it).

Why seal after commit rather than chain inside the writer's transaction: a chain needs one order, so
chaining inside each change's transaction would make every audited transaction in the service (a SCIM
PATCH, a reconcile chunk of 10,000 events) wait for the previous one to commit. Instead writers only
INSERT (one statement, no shared lock), and a sealer gives committed events their position and hash in
one short transaction, under a lock on the single chain-head row: sealers run one at a time, writers
never wait. Each writing transaction nudges a worker on commit (audit_sealer.py), so neither the request
nor its web process does the seal, and the `provisioning.checkpoint_audit` beat task seals whatever is
left before it signs a checkpoint. An event is unsealed from its commit until the next seal, normally
about a second.

The hash of event n is HMAC-SHA256(AUDIT_HMAC_KEY, hash(n-1) + "\n" + canonical JSON of its position,
id, time, actor, action, target, connection, context and personal digest), where the personal
digest is SHA-256 over the personal fields (actor_label, target_label, changes). A purge may pseudonymise
those fields through lms_identity/services/audit_redaction.py: the event is marked redacted and keeps
its digest, so the chain still verifies and shows which events were redacted.
"""

import hashlib
import hmac
import json
import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.db import OperationalError, connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from lms_identity.json_input import StoredJSONDecoder
from lms_identity.models import AuditChainHead, AuditCheckpoint, AuditEvent

log = logging.getLogger("lms_identity.audit")

SEAL_BATCH = 5000
HEAD_ID = 1
# What an event's hash covers besides its position and the previous hash, in this order, then the
# personal digest: SHA-256 over PERSONAL_FIELDS.
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
JSON_COLUMNS = ("context", "changes")  # read as text by chain_rows
# Built once: json.dumps would build an encoder per call, and a walk encodes two values per event.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
_DECODER = StoredJSONDecoder()


class ChainRow(NamedTuple):
    """An event as the chain reads it (see chain_rows): the chained and personal fields, JSON columns as
    their stored text, then, once sealed, its place in the chain."""

    id: int
    at: Any
    actor_type: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    connection_id: int | None
    context: str
    actor_label: str
    target_label: str
    changes: str
    seq: int | None = None
    personal_digest: str = ""
    chain_hash: str = ""
    redacted: bool = False


def _key() -> bytes:
    return str(settings.AUDIT_HMAC_KEY).encode()


def _canonical(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def _stored_json(text: str | None) -> Any:
    """A JSON column's stored text decoded as JSONField reads it (its decoder; text that is not JSON,
    which only a hand-edited SQLite file can hold, stays the text)."""
    if text is None:
        return None
    try:
        return _DECODER.decode(text)
    except ValueError:
        return text


def chain_rows(queryset: models.QuerySet[AuditEvent], *, sealed: bool = False) -> models.QuerySet[Any]:
    """Rows for ChainRow: the chained and personal fields, then the chain's own if `sealed`; the JSON
    columns as text, so that each is decoded once, by _stored_json, rather than by JSONField and again."""
    return queryset.annotate(
        **{f"{name}_text": Cast(name, models.TextField()) for name in JSON_COLUMNS}
    ).values_list(
        *(f"{name}_text" if name in JSON_COLUMNS else name for name in (*CHAINED_FIELDS, *PERSONAL_FIELDS)),
        *(("seq", "personal_digest", "chain_hash", "redacted") if sealed else ()),
    )


class ChainHasher:
    """The chain's two hashes, with the key read once: a walk over a million events spends its time here.

    Event n's hash is HMAC-SHA256(key, hash(n-1) + "\n" + canonical JSON of [n, id, at, actor_type,
    actor_id, action, target_type, target_id, connection_id, context, personal digest])."""

    def __init__(self) -> None:
        self._keyed = hmac.new(_key(), digestmod=hashlib.sha256)

    @staticmethod
    def personal_digest(event: ChainRow) -> str:
        personal = [event.actor_label, event.target_label, _stored_json(event.changes)]
        return hashlib.sha256(_canonical(personal)).hexdigest()

    def link(self, previous: str, seq: int, event: ChainRow, digest: str) -> str:
        body = [
            seq,
            event.id,
            event.at.isoformat(),
            event.actor_type,
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            event.connection_id,
            _stored_json(event.context),
            digest,
        ]
        keyed = self._keyed.copy()  # the key's inner and outer pads are hashed once, not per event
        keyed.update(previous.encode() + b"\n" + _canonical(body))
        return keyed.hexdigest()


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
        pending = chain_rows(AuditEvent.objects.pending().order_by("id"))[:size]
        hasher, seq, previous = ChainHasher(), head.seq, head.chain_hash
        updates: list[tuple[int, str, str, int]] = []
        for row in pending:
            event = ChainRow(*row)
            seq += 1
            digest = hasher.personal_digest(event)
            previous = hasher.link(previous, seq, event, digest)
            updates.append((seq, digest, previous, event.id))
        if not updates:
            return 0
        _write_seals(updates)
        AuditChainHead.objects.filter(pk=HEAD_ID).update(
            seq=seq, chain_hash=previous, sealed_at=timezone.now()
        )
        return len(updates)


def _write_seals(updates: list[tuple[int, str, str, int]]) -> None:
    """Set the chain fields of a batch of events. Raw SQL: the ORM refuses updates of audit events; this
    is the one write after insert, and the PostgreSQL trigger allows it only while they are still empty.
    On PostgreSQL one statement for the whole batch (one statement per event cost most of a seal)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            seqs, digests, hashes, ids = (list(column) for column in zip(*updates, strict=True))
            cursor.execute(
                f"UPDATE {table} AS e SET seq = s.seq, personal_digest = s.digest, "  # noqa: S608
                "chain_hash = s.hash FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) "
                "AS s(seq, digest, hash, id) WHERE e.id = s.id AND e.seq IS NULL",
                [seqs, digests, hashes, ids],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, personal_digest = %s, chain_hash = %s "  # noqa: S608
                "WHERE id = %s AND seq IS NULL",
                updates,
            )


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
