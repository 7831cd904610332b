"""Plumbing, not rules: Django's login and logout signals wired to the session service.

Every login (admin password or SSO) is indexed by person so any ending can find it (SSO logins re-index
with their connection, sid and MFA evidence). Every logout, ours or Django's own (the admin's "Log out"),
ends the session through the session service, so it is audited and leaves no index row behind; our views
end it first, and then this finds nothing and writes nothing.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out

from .models.sessions import EndCause
from .services.audit import Actor
from .services.sessions import end_session, index_session
from .sso.session_keys import SIGNED_IN_AT
from .sso.session_policy import start_policy


def index_login(sender: object, request: Any, user: Any, **kwargs: object) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        # The session policy's clocks start now (an SSO sign-in then adds its connection's policy).
        session.pop(SIGNED_IN_AT, None)
        start_policy(session, None)
    if session is not None and session.session_key:
        meta = getattr(request, "META", {})
        index_session(
            user,
            session.session_key,
            user_agent=meta.get("HTTP_USER_AGENT", ""),
            ip_address=meta.get("REMOTE_ADDR") or None,
        )


def end_logout(sender: object, request: Any, user: Any, **kwargs: object) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key and user is not None:
        end_session(session.session_key, cause=EndCause.LOGOUT, actor=Actor.of_user(user))


def connect() -> None:
    user_logged_in.connect(index_login, dispatch_uid="lms_identity.index_session")
    user_logged_out.connect(end_logout, dispatch_uid="lms_identity.end_session")
