"""Verifying the audit hash chain (sealed by audit_chain.py): the walk behind verify_audit and the admin's
Verify button.

The walk reads every sealed event by position and recomputes its two hashes; over a million events it is
CPU-bound in Python. With `workers` > 1 (verify_audit's default on PostgreSQL) the positions are split
into contiguous segments walked in parallel processes. That finds exactly what one walk finds: a segment
starts from the hash stored at the position before it, which the previous segment checks, so the first
problem of the first segment that has one is the first problem of the whole chain, and when no segment
has one, the segments' ends join into the whole chain.
"""

import hmac
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max, Subquery

from lms_identity.models import AuditChainHead, AuditCheckpoint, AuditEvent
from lms_identity.spawned_processes import set_up_django

from .audit_chain import HEAD_ID, ChainHasher, ChainRow, chain_rows, sign

VERIFY_CHUNK = 20000
# Below this many events a walk takes a few seconds: not worth starting processes.
PARALLEL_MIN_EVENTS = 200_000
PURGED = "user.purged"

# seq -> (chain hash, signature) of the signed checkpoints
Checkpoints = dict[int, tuple[str, str]]
# (position, event id, target id, actor id) of a redacted event
Redaction = tuple[int, int, str, str]


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


@dataclass
class Segment:
    """What the walk of positions first..last found: its first problem, else the hash it ends on and the
    redactions and purges it holds (judged over the whole chain once every segment is walked)."""

    first: int
    last: int
    problem: Problem | None = None
    end_hash: str = ""
    redactions: list[Redaction] = field(default_factory=list)
    purged: set[str] = field(default_factory=set)


def verify_chain(*, workers: int = 1) -> Verification:
    """Walk the chain from position 1 and return the first broken or missing link, if any: an event
    whose hash does not match (altered), a position with no event (deleted), personal fields changed
    without a redaction or a redaction with no purge event, a head or a signed checkpoint the chain does
    not reach. With `workers` > 1, a long chain on PostgreSQL is walked in that many processes. Reads
    only; holds no lock."""
    checkpoints: Checkpoints = {c.seq: (c.chain_hash, c.signature) for c in AuditCheckpoint.objects.all()}
    head_seq, head_hash, end = _head_and_end()
    pending = AuditEvent.objects.pending().count()
    segments = _walk(_split(end, workers), checkpoints, parallel=workers > 1)
    problem = next((s.problem for s in segments if s.problem), None)
    if problem is not None:
        return Verification(checked=problem.position - 1, head_seq=head_seq, pending=pending, problem=problem)
    last_hash = segments[-1].end_hash if segments else ""
    redactions = [r for s in segments for r in s.redactions]
    purged = set().union(*(s.purged for s in segments))
    problem = (
        _unexplained_redaction(redactions, purged)
        or _head_problem(end, last_hash, head_seq, head_hash)
        or _checkpoint_beyond(end, max(checkpoints, default=0))
    )
    return Verification(checked=end, head_seq=head_seq, pending=pending, problem=problem)


def _head_and_end() -> tuple[int, str, int]:
    """The head's position and hash, and the last position an event holds, read in one statement: a seal
    committing during the walk neither moves the head away from the positions walked nor adds to them."""
    last = AuditEvent.objects.filter(seq__gt=0).order_by("-seq").values("seq")[:1]
    head = (
        AuditChainHead.objects.filter(pk=HEAD_ID)
        .annotate(end=Subquery(last))
        .values_list("seq", "chain_hash", "end")
        .first()
    )
    if head is None:  # a flushed test database; the migration made the head
        return 0, "", AuditEvent.objects.filter(seq__gt=0).aggregate(end=Max("seq"))["end"] or 0
    seq, chain_hash, end = head
    return seq, chain_hash, end or 0


def _split(end: int, workers: int) -> list[tuple[int, int]]:
    """Positions 1..end as `workers` contiguous segments of equal length, or one for a short chain."""
    if end == 0:
        return []
    count = workers if workers > 1 and end >= PARALLEL_MIN_EVENTS else 1
    size = -(-end // count)
    return [(first, min(end, first + size - 1)) for first in range(1, end + 1, size)]


def _walk(bounds: list[tuple[int, int]], checkpoints: Checkpoints, *, parallel: bool) -> list[Segment]:
    # A process per segment only where each can open its own connection: PostgreSQL, outside a
    # transaction (inside one, another process would not see what it has not committed).
    if len(bounds) < 2 or not parallel or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [_walk_segment(first, last, checkpoints) for first, last in bounds]
    # Spawned, not forked: a forked child would inherit the sockets of other threads' database
    # connections (a web server's, a nudge's) and, on dropping them, end them for this process.
    # A spawned child sets Django up afresh, on this database and with this chain key.
    setup = (connection.settings_dict["NAME"], {"AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEY})
    with multiprocessing.get_context("spawn").Pool(len(bounds), set_up_django, setup) as pool:
        return pool.starmap(_walk_in_process, [(first, last, checkpoints) for first, last in bounds])


def _walk_in_process(first: int, last: int, checkpoints: Checkpoints) -> Segment:
    try:
        return _walk_segment(first, last, checkpoints)
    finally:
        connections.close_all()


def _walk_segment(first: int, last: int, checkpoints: Checkpoints) -> Segment:
    """Check positions first..last, starting from the hash stored at position first - 1."""
    segment = Segment(first, last)
    hasher, expected, previous = ChainHasher(), first, _hash_before(first)
    for event in _sealed_events(first, last):
        segment.problem = _check_event(hasher, event, expected, previous)
        if segment.problem:
            return segment
        previous = event.chain_hash
        if event.redacted:
            segment.redactions.append((expected, event.id, event.target_id, event.actor_id))
        if event.action == PURGED:
            segment.purged.add(event.target_id)
        checkpoint = checkpoints.get(expected)
        if checkpoint and not _checkpoint_holds(expected, *checkpoint, previous):
            segment.problem = Problem(
                expected, event.id, "checkpoint", "a signed checkpoint names another hash"
            )
            return segment
        expected += 1
    if expected <= last:  # the events after expected - 1 sit beyond this segment
        following = AuditEvent.objects.filter(seq__gt=last).order_by("seq").values_list("seq", flat=True)
        detail = f"no event at this position; the next is #{following.first()}"
        segment.problem = Problem(expected, None, "missing", detail)
    segment.end_hash = previous
    return segment


def _hash_before(first: int) -> str:
    if first == 1:
        return ""
    # When that event is missing, the previous segment reports it first.
    stored = AuditEvent.objects.filter(seq=first - 1).values_list("chain_hash", flat=True).first()
    return stored or ""


def _sealed_events(first: int, last: int) -> Iterator[ChainRow]:
    """Sealed events at positions first..last in chain order, VERIFY_CHUNK per query by position."""
    position = first - 1
    while True:
        sealed = AuditEvent.objects.filter(seq__gt=position, seq__lte=last).order_by("seq")
        chunk = [ChainRow(*row) for row in chain_rows(sealed, sealed=True)[:VERIFY_CHUNK]]
        yield from chunk
        if len(chunk) < VERIFY_CHUNK:
            return
        position = chunk[-1].seq or last


def _check_event(hasher: ChainHasher, event: ChainRow, expected: int, previous: str) -> Problem | None:
    if event.seq != expected:
        return Problem(expected, None, "missing", f"no event at this position; the next is #{event.seq}")
    digest = event.personal_digest
    if not event.redacted and hasher.personal_digest(event) != digest:
        return Problem(expected, event.id, "personal_fields_altered", "labels or changes were rewritten")
    if not hmac.compare_digest(hasher.link(previous, expected, event, digest), event.chain_hash):
        return Problem(expected, event.id, "altered", "the event or the link to the previous one changed")
    return None


def _checkpoint_holds(seq: int, chain_hash: str, signature: str, walked_hash: str) -> bool:
    return hmac.compare_digest(chain_hash, walked_hash) and hmac.compare_digest(
        signature, sign(seq, chain_hash)
    )


def _unexplained_redaction(redactions: list[Redaction], purged: set[str]) -> Problem | None:
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
