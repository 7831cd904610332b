"""Sessions indexed by person, so that deactivation ends every one of them at once."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.sessions.models import Session

from lms_identity.models import User, UserSession


def index_session(
    user: User, session_key: str, *, connection_id: int | None = None, mfa: bool = False
) -> None:
    """Remember that this session belongs to this person. Idempotent per session key."""
    # One upsert statement (INSERT ... ON CONFLICT), not update_or_create's lock, savepoint and insert:
    # this runs on every sign-in.
    UserSession.objects.bulk_create(
        [UserSession(session_key=session_key, user=user, connection_id=connection_id, mfa_evidenced=mfa)],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=["user", "connection", "mfa_evidenced"],
    )


def end_user_sessions(user: User) -> int:
    """Delete every session of this person; returns how many. Call inside the deactivating transaction."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    if not keys:
        return 0
    deleted, _ = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return deleted


def end_sessions_of(user_ids: Iterable[Any]) -> Counter[Any]:
    """Delete every session of these people in a fixed number of statements; returns {user id: sessions
    ended} for those who had any. Call inside the transaction that takes their access away."""
    index = UserSession.objects.filter(user_id__in=list(user_ids))
    per_person = Counter(index.values_list("user_id", flat=True))
    if per_person:
        Session.objects.filter(session_key__in=index.values("session_key")).delete()
        index.delete()
    return per_person
