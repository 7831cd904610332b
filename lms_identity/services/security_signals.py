"""What a security signal from an IdP does: Shared Signals (CAEP, RISC) and Okta Universal Logout.

Every subject is looked up within the sending connection only: an `iss_sub` through the connection's
subject links (its `iss` must be the connection's issuer), an `email` among the connection's own people,
an `opaque` id as a subject of the connection, else as one of its IdP session ids. A subject this
connection does not know acts on nobody. The actions are the session service's endings (one audited
`session.ended` naming the signal) and, for RISC account-disabled/purged, the lock-out service.
"""

import logging
from dataclasses import dataclass
from typing import Any

from lms_identity.models import IdpConnection, OidcConfig, SubjectLink, User, UserSession
from lms_identity.models.sessions import EndCause
from lms_identity.models.users import email_is

from .audit import Actor
from .lockout import deactivate_user
from .sessions import end_sessions_by_sid, end_sessions_of

LOGGER = logging.getLogger(__name__)
CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
SESSION_REVOKED = CAEP + "session-revoked"
CREDENTIAL_CHANGE = CAEP + "credential-change"
ACCOUNT_DISABLED = RISC + "account-disabled"
ACCOUNT_PURGED = RISC + "account-purged"


@dataclass(frozen=True)
class Subject:
    """Whom a signal names, as far as this connection knows them."""

    user: User | None = None
    sid: str = ""


def resolve_subject(config: OidcConfig, subject: Any) -> Subject:
    """The person (and IdP session) a subject identifier (RFC 9493) names within this connection."""
    if not isinstance(subject, dict):
        return Subject()
    connection = config.connection
    fmt = subject.get("format")
    if fmt == "complex":
        person = resolve_subject(config, subject.get("user"))
        session = resolve_subject(config, subject.get("session"))
        return Subject(user=person.user or session.user, sid=session.sid)
    if fmt == "iss_sub":
        if subject.get("iss") != config.issuer:
            return Subject()
        return Subject(user=_by_sub(connection, subject.get("sub")))
    if fmt == "email":
        email = subject.get("email")
        if not isinstance(email, str) or not email or len(email) > 254:
            return Subject()
        found = list(User.objects.filter(email_is(email), connection=connection))
        return Subject(user=found[0] if len(found) == 1 else None)
    if fmt == "opaque":
        value = subject.get("id")
        user = _by_sub(connection, value)
        if user is not None or not isinstance(value, str) or not value:
            return Subject(user=user)
        indexed = UserSession.objects.filter(connection=connection, sid=value[:255]).exists()
        return Subject(sid=value[:255]) if indexed else Subject()
    return Subject()


def act_on_event(config: OidcConfig, event_type: str, subject: Subject) -> str:
    """Carry out one event about one subject. Returns what was done, for the response and the log:
    "sessions_ended:N", "locked_out", "already_locked_out", "unknown_subject" or "ignored"."""
    connection = config.connection
    actor = Actor.of_connection(connection)
    if event_type == SESSION_REVOKED:
        cause = EndCause.SESSION_REVOKED
        if subject.sid:
            return f"sessions_ended:{end_sessions_by_sid(connection, subject.sid, cause=cause)}"
        if subject.user is not None:
            ended = end_sessions_of(subject.user, cause=cause, actor=actor, connection=connection)
            return f"sessions_ended:{ended}"
        return "unknown_subject"
    if event_type == CREDENTIAL_CHANGE:
        if subject.user is None:
            return "unknown_subject"
        ended = end_sessions_of(subject.user, cause=EndCause.CREDENTIAL_CHANGE, actor=actor)
        return f"sessions_ended:{ended}"
    if event_type in (ACCOUNT_DISABLED, ACCOUNT_PURGED):
        if subject.user is None:
            return "unknown_subject"
        reason = "risc:" + event_type.rsplit("/", 1)[-1]
        locked = deactivate_user(subject.user, actor=actor, reason=reason)
        return "locked_out" if locked else "already_locked_out"
    LOGGER.info("security event ignored connection=%s type=%s", connection.slug, event_type[:200])
    return "ignored"


def revoke_all_sessions(config: OidcConfig, subject: Subject) -> int | None:
    """Okta Universal Logout (Global Token Revocation): end every session of the person. None when the
    connection does not know the subject."""
    if subject.user is None:
        return None
    actor = Actor.of_connection(config.connection)
    return end_sessions_of(subject.user, cause=EndCause.UNIVERSAL_LOGOUT, actor=actor)


def _by_sub(connection: IdpConnection, sub: Any) -> User | None:
    if not isinstance(sub, str) or not sub:
        return None
    link = SubjectLink.objects.select_related("user").filter(connection=connection, sub=sub[:255]).first()
    return link.user if link is not None else None
