"""Session lifetimes: the limits a session is held to, and the sweep that ends the sessions whose limit
passed while nobody used them.

The session policy middleware ends a session on its first request past its idle timeout or absolute
lifetime; Django itself forgets a session SESSION_COOKIE_AGE after it was last saved. A session whose
browser never comes back would keep its row in the session index (My sessions, the person page, the
signals all read it) unless something ends it: `end_expired_sessions`, run by beat, does, through the
session service, so each ending is the same `session.ended` event as any other (one per person per chunk),
with cause `absolute_timeout`, `idle_timeout` or `expired` (the cookie lifetime, when shorter than the idle
timeout or the idle timeout is off).

It finds them through two indexes of the session index, (connection, created_at) and (connection,
last_seen_at), one range per connection, so a run costs in proportion to the sessions it ends, never a scan.
"last seen" in the index moves with the session's own clock (both are written together, at most once a
minute), so the sweep ends exactly what the middleware would end on the session's next request.
"""

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet
from django.utils import timezone

from lms_identity.models import IdpConnection, OidcConfig, UserSession
from lms_identity.models.sessions import EndCause

from .audit import Actor
from .sessions import DB_ENGINES, end_indexed_sessions

CHUNK_SIZE = 500
MAX_PER_RUN = 20_000
POLICY_FIELDS = ("idle_timeout", "absolute_lifetime", "reverify_interval")


def load_policy(connection_id: int | None, *, config: OidcConfig | None = None) -> list[int]:
    """[idle, absolute, reverify] seconds (0 = off) for sessions of this connection: its OpenID Connect
    settings where set, the SSO_SESSION_* defaults otherwise (password sessions: no re-verification).
    `config`: the connection's OIDC settings when the caller holds them already (the SSO callback), so
    the policy costs no query."""
    row: Any = {}
    if config is not None and connection_id is not None and config.connection_id == connection_id:
        row = {field: getattr(config, field) for field in POLICY_FIELDS}
    elif connection_id is not None:
        row = OidcConfig.objects.filter(connection_id=connection_id).values(*POLICY_FIELDS).first() or {}
    return _policy(row, connection_id)


def end_expired_sessions(
    *, actor: Actor, chunk_size: int = CHUNK_SIZE, limit: int = MAX_PER_RUN
) -> dict[str, int]:
    """End every indexed session past its absolute lifetime, idle timeout or cookie lifetime, at most
    `limit` per run (the next run goes on), in chunks of `chunk_size` index rows, each ended by one call
    of the session service (one transaction locking the chunk's rows in primary-key order; one
    `session.ended` event per person in the chunk). Idempotent: an ended session is gone from the index,
    and a repeat finds nothing. A session read as past its limit stays past it (a request in between
    would have been refused by the middleware for the same reason). Returns counts per cause."""
    now = timezone.now()
    ended: Counter[str] = Counter()
    budget = limit
    for connection_id, (idle, absolute, _) in _policies().items():
        scope = UserSession.objects.filter(connection_id=connection_id)
        cookie_age = settings.SESSION_COOKIE_AGE
        walks: list[tuple[str, str, datetime]] = []
        if absolute:
            walks.append((EndCause.ABSOLUTE_TIMEOUT, "created_at", now - timedelta(seconds=absolute)))
        if idle and idle <= cookie_age:
            walks.append((EndCause.IDLE_TIMEOUT, "last_seen_at", now - timedelta(seconds=idle)))
        else:
            walks.append((EndCause.EXPIRED, "last_seen_at", now - timedelta(seconds=cookie_age)))
        for cause, field, before in walks:
            for chunk in _chunks(scope, field, before, chunk_size=chunk_size, budget=budget):
                due = _gone_from_store(chunk, now) if cause == EndCause.EXPIRED else chunk
                if due:
                    ended[cause] += end_indexed_sessions(list(due), cause=cause, actor=actor)
                budget -= len(chunk)
            if budget <= 0:
                return dict(ended)
    return dict(ended)


def _policies() -> dict[int | None, list[int]]:
    """The policy of password sessions (no connection) and of every connection's sessions."""
    rows = {row["connection_id"]: row for row in OidcConfig.objects.values("connection_id", *POLICY_FIELDS)}
    policies: dict[int | None, list[int]] = {None: _policy({}, None)}
    for connection_id in IdpConnection.objects.order_by("pk").values_list("pk", flat=True):
        policies[connection_id] = _policy(rows.get(connection_id, {}), connection_id)
    return policies


def _policy(row: Any, connection_id: int | None) -> list[int]:
    def pick(field: str, default: int) -> int:
        value = row.get(field)
        return int(value) if value is not None else default

    return [
        pick("idle_timeout", settings.SSO_SESSION_IDLE_TIMEOUT),
        pick("absolute_lifetime", settings.SSO_SESSION_ABSOLUTE_LIFETIME),
        pick("reverify_interval", settings.SSO_SESSION_REVERIFY_INTERVAL) if connection_id else 0,
    ]


def _chunks(
    scope: QuerySet[UserSession], field: str, before: datetime, *, chunk_size: int, budget: int
) -> Iterator[dict[int, str]]:
    """{index id: session key} of the rows with `field` before `before`, oldest first, chunk by chunk.
    Walked by (field, id) through the (connection, field) index: walking by id alone would have
    PostgreSQL read the primary key index under a LIMIT, a scan of every session."""
    cursor: tuple[datetime, int] | None = None
    while budget > 0:
        rows = scope.filter(**{f"{field}__lt": before})
        if cursor is not None:
            rows = rows.filter(
                Q(**{f"{field}__gt": cursor[0]}) | Q(**{field: cursor[0], "pk__gt": cursor[1]})
            )
        found = list(
            rows.order_by(field, "pk").values_list(field, "pk", "session_key")[: min(chunk_size, budget)]
        )
        if not found:
            return
        cursor = (found[-1][0], found[-1][1])
        budget -= len(found)
        yield {pk: key for _, pk, key in found}


def _gone_from_store(chunk: dict[int, str], now: datetime) -> dict[int, str]:
    """The rows of this chunk whose stored session Django no longer keeps (expired or deleted): the
    cookie lifetime runs from the session's last save, which the index knows only to the minute."""
    if settings.SESSION_ENGINE not in DB_ENGINES:
        return chunk
    live = set(
        Session.objects.filter(session_key__in=list(chunk.values()), expire_date__gt=now).values_list(
            "session_key", flat=True
        )
    )
    return {pk: key for pk, key in chunk.items() if key not in live}
