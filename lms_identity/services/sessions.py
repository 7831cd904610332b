"""The one way a session starts being known and the one way it ends.

Every session of a signed-in person is indexed in `UserSession` (by person, by the IdP's `sid`), and every
ending, whatever asks for it (sign-out, a logout or a signal from the IdP, a deactivation, a sweep, an
administrator, the person on My sessions, an idle or absolute timeout or the expiry sweep, a closed
break-glass window, another person signing in on the same browser), goes through `end_session`,
`end_session_replaced`, `end_sessions_of`, `end_sessions_by_sid`, `end_sessions_of_subject`,
`end_indexed_sessions` or, for many people at once, `end_sessions_of_people`, and all of them through
`_end`. Each one:

- runs in one transaction and locks the index rows it ends (primary-key order), so two endings of the
  same session race harmlessly and the second finds nothing;
- deletes the stored Django sessions and their index rows, found through the index only: ending all
  sessions of a person costs in proportion to their sessions, never a scan of the session table;
- writes one `session.ended` audit event per person whose sessions it ended, of one shape whichever
  function was called (all of them go through `_end`): the `cause` (an `EndCause`), `sessions_ended` and
  `sessions` (index ids, never session keys), the connection of the actor or else of the person's first
  ended session; the events of one call are one INSERT;
- is a no-op (and writes nothing) when nothing was left to end.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from lms_identity.compiled_queries import CompiledQuery
from lms_identity.models import IdpConnection, SubjectLink, User, UserSession
from lms_identity.models.sessions import EndCause

from .audit import Actor, record_events

ENDED_ACTION = "session.ended"
DB_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def index_session(
    user: User,
    session_key: str,
    *,
    connection_id: int | None = None,
    mfa: bool = False,
    sid: str = "",
    id_token: str = "",
    user_agent: str = "",
    ip_address: str | None = None,
    replaces: str | None = None,
) -> None:
    """Remember that this session belongs to this person (and to this IdP session). Idempotent per
    session key. `replaces` is the key the same session had before Django cycled it (a re-sign-in):
    that index row goes, the session lives on under its new key (and, for the same person, keeps its
    sign-in time). Not an ending: no audit event."""
    now = timezone.now()
    # One upsert statement (INSERT ... ON CONFLICT), not update_or_create's lock, savepoint and insert:
    # this runs on every sign-in.
    UserSession.objects.bulk_create(
        [
            UserSession(
                session_key=session_key,
                user=user,
                connection_id=connection_id,
                mfa_evidenced=mfa,
                sid=sid[:255],
                id_token=id_token,
                user_agent=user_agent[:255],
                ip_address=ip_address,
                last_seen_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=[
            "user",
            "connection",
            "mfa_evidenced",
            "sid",
            "id_token",
            "user_agent",
            "ip_address",
            "last_seen_at",
        ],
    )
    if replaces and replaces != session_key:
        old_row = UserSession.objects.filter(session_key=replaces)
        replaced = old_row.values_list("user_id", "created_at").first()
        if replaced is not None:
            if replaced[0] == user.pk:
                # The same person again (a silent re-verification): the session keeps its first sign-in
                # time, as its own clock does, so the expiry sweep's absolute lifetime runs from it.
                UserSession.objects.filter(session_key=session_key).update(created_at=replaced[1])
            old_row.delete()


def find_session(session_key: str | None) -> UserSession | None:
    """The index row of this session, with its connection, or None."""
    if not session_key:
        return None
    return UserSession.objects.select_related("connection").filter(session_key=session_key).first()


def list_sessions_of(user: User) -> QuerySet[UserSession]:
    """The person's live sessions, newest sign-in first (My sessions, the admin's person page). A session
    Django let expire (SESSION_COOKIE_AGE) but nobody ended yet is not listed."""
    rows = UserSession.objects.filter(user=user).select_related("connection")
    if settings.SESSION_ENGINE in DB_ENGINES:
        live = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=timezone.now())
        rows = rows.filter(Exists(live))
    return rows.order_by("-created_at", "-pk")


def touch_session(session_key: str, *, at: datetime) -> None:
    """Record that the session was used (My sessions' "last seen"). One UPDATE, no audit."""
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=at)


def end_session(session_key: str | None, *, cause: str, actor: Actor) -> bool:
    """End this one session. Returns whether it was live. Audited (session.ended with the cause)."""
    if not session_key:
        return False
    return _ended(UserSession.objects.filter(session_key=session_key), cause=cause, actor=actor) > 0


def end_session_replaced(session_key: str | None, *, current: Any, incoming: User) -> bool:
    """Another person is signing in on the browser that holds this session: end it (cause replaced, by
    the person it belonged to, `current`) before Django's login flushes it unseen. Nothing ends when
    nobody was signed in or the same person signs in again. Returns whether a session ended. Audited."""
    if current is None or not current.is_authenticated or current.pk == incoming.pk:
        return False
    return end_session(session_key, cause=EndCause.REPLACED, actor=Actor.of_user(current))


def end_session_of(user: User, session_key: str, *, cause: str, actor: Actor) -> bool:
    """End one session of this person (an admin's "end session" on the person page). A key that is not
    theirs ends nothing. Returns whether it was live. Audited."""
    if not session_key:
        return False
    rows = UserSession.objects.filter(user=user, session_key=session_key)
    return _ended(rows, cause=cause, actor=actor) > 0


def end_sessions_of(
    user: User,
    *,
    cause: str,
    actor: Actor,
    except_key: str | None = None,
    connection: IdpConnection | None = None,
    started_before: datetime | None = None,
) -> int:
    """End every session of this person (all but `except_key`, e.g. "sign out my other sessions"; only
    those signed in through `connection` when given; only those that started before `started_before`
    when given). Returns how many ended. Audited."""
    if started_before is None and not except_key and connection is None:
        # Every session of a leaver (each deactivation): the lookup compiled once, the person not read again.
        locked = _end(lambda: _SESSIONS_OF(user_id=user.pk), cause=cause, actor=actor, people={user.pk: user})
        return sum(locked.values())
    rows = UserSession.objects.filter(user=user)
    if started_before is not None:
        rows = rows.filter(created_at__lt=started_before)
    if except_key:
        rows = rows.exclude(session_key=except_key)
    if connection is not None:
        rows = rows.filter(connection=connection)
    return _ended(rows, cause=cause, actor=actor)


def end_indexed_sessions(ids: Sequence[int], *, cause: str, actor: Actor) -> int:
    """End the sessions of these index rows (a sweep that found them through the index). Rows already
    gone end nothing. Returns how many ended. Audited."""
    if not ids:
        return 0
    return _ended(UserSession.objects.filter(pk__in=list(ids)), cause=cause, actor=actor)


def end_sessions_by_sid(
    connection: IdpConnection, sid: str, *, cause: str, actor: Actor | None = None
) -> int:
    """End the sessions signed in through this connection in the IdP session `sid` (a logout or a
    signal from the IdP). Returns how many ended. Audited, by the connection unless `actor` is given."""
    if not sid:
        return 0
    rows = UserSession.objects.filter(connection=connection, sid=sid[:255])
    return _ended(rows, cause=cause, actor=actor or Actor.of_connection(connection))


def end_sessions_of_subject(
    connection: IdpConnection, sub: str, *, cause: str, actor: Actor | None = None, sid: str = ""
) -> int:
    """End the sessions that the person with IdP subject `sub` signed in to through this connection
    (only those of IdP session `sid` when given). A subject this connection never signed in ends nothing.
    Returns how many ended. Audited, by the connection unless `actor` is given."""
    link = SubjectLink.objects.filter(connection=connection, sub=sub[:255]).first() if sub else None
    if link is None:
        return 0
    rows = UserSession.objects.filter(user_id=link.user_id, connection=connection)
    if sid:
        rows = rows.filter(sid=sid[:255])
    return _ended(rows, cause=cause, actor=actor or Actor.of_connection(connection))


def end_sessions_of_people(people: Sequence[User], *, cause: str, actor: Actor) -> Counter[Any]:
    """End every session of these people in a fixed number of statements (sweeps, bulk deactivation).
    Returns {user id: sessions ended} for those who had any. Audited like every ending (one event per
    person). Call it inside the transaction that takes their access away."""
    by_id = {person.pk: person for person in people}
    if not by_id:
        return Counter()
    return _end(UserSession.objects.filter(user_id__in=list(by_id)), cause=cause, actor=actor, people=by_id)


def _locked(user_id: Any) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user_id=user_id).select_for_update().order_by("pk").only(*FOUND)


# The sessions of one person, locked: the lookup of every deactivation, compiled once (compiled_queries).
_SESSIONS_OF = CompiledQuery(_locked)
FOUND = ("pk", "session_key", "user_id", "connection_id")


def _end(
    rows: QuerySet[UserSession] | Callable[[], list[UserSession]],
    *,
    cause: str,
    actor: Actor,
    people: dict[Any, User] | None = None,
) -> Counter[Any]:
    """The one ending: lock the index rows (primary-key order), delete the stored sessions and the rows,
    and write one `session.ended` event per person, all in one statement: context cause, sessions_ended
    and sessions (index ids); the connection is the actor's, else the person's first ended session's.
    `rows`: the index rows to end, or a function that locks and returns them (_SESSIONS_OF).
    `people` are the people already loaded by the caller (not read again). Returns {user id: ended}."""
    assert cause in EndCause.values, cause
    # No savepoint when a caller's transaction is open (a lock-out): an error undoes the whole change.
    with transaction.atomic(savepoint=False):
        if isinstance(rows, QuerySet):
            found = list(rows.select_for_update().order_by("pk").values_list(*FOUND))
        else:  # a compiled lookup that locks them, in primary-key order
            found = [(row.pk, row.session_key, row.user_id, row.connection_id) for row in rows()]
        if not found:
            return Counter()
        _delete_stored([key for _, key, _, _ in found])
        UserSession.objects.filter(pk__in=[pk for pk, _, _, _ in found]).delete()
        ended: dict[Any, list[tuple[int, int | None]]] = defaultdict(list)
        for pk, _, user_id, connection_id in found:
            ended[user_id].append((pk, connection_id))
        if people is None:
            people = {user.pk: user for user in User.objects.filter(pk__in=list(ended))}
        record_events(
            actor,
            ENDED_ACTION,
            [people[user_id] for user_id in sorted(ended)],
            context_for=lambda user: {
                "cause": cause,
                "sessions_ended": len(ended[user.pk]),
                "sessions": [pk for pk, _ in ended[user.pk]],
            },
            connection_for=lambda user: ended[user.pk][0][1],
        )
    return Counter({user_id: len(sessions) for user_id, sessions in ended.items()})


def _ended(rows: QuerySet[UserSession], *, cause: str, actor: Actor) -> int:
    return sum(_end(rows, cause=cause, actor=actor).values())


def _delete_stored(keys: Iterable[str]) -> None:
    """Delete the stored sessions themselves: one statement with the database engines, one call per
    session with any other engine (cache, signed cookies cannot be revoked and are not supported)."""
    keys = list(keys)
    if settings.SESSION_ENGINE in DB_ENGINES:
        Session.objects.filter(session_key__in=keys).delete()
        if settings.SESSION_ENGINE.endswith("cached_db"):
            store = import_module(settings.SESSION_ENGINE).SessionStore
            for key in keys:
                store(key).delete()  # drops the cached copy too
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(key).delete()
