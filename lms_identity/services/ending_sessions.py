"""Ending sessions on an admin's request: one session, or all of a person's. The admin console calls
only `end_sessions`, so it follows whatever the session service becomes."""

from django.contrib.sessions.models import Session
from django.db import transaction

from lms_identity.models import User, UserSession

from .audit import Actor, record_event
from .sessions import end_user_sessions


def end_sessions(user: User, *, actor: Actor, session_key: str | None = None) -> int:
    """End one session of this person (`session_key`) or every one of them; returns how many ended.
    The session row and its index go in one transaction with an audit event `session.ended`. A key that
    is not this person's ends nothing. Idempotent: ending an ended session is a no-op."""
    with transaction.atomic():
        if session_key is None:
            ended = end_user_sessions(user)
        else:
            index = UserSession.objects.filter(user=user, session_key=session_key)
            if not index.exists():
                return 0
            ended, _ = Session.objects.filter(session_key=session_key).delete()
            index.delete()
            ended = max(ended, 1)
        if ended:
            record_event(
                actor,
                "session.ended",
                user,
                context={"sessions_ended": ended, "scope": "all" if session_key is None else "one"},
            )
    return ended
