from .audit import AuditEvent
from .connections import IdpConnection, ScimToken
from .groups import Group, Membership
from .outbox import OutboxEvent
from .sessions import UserSession
from .users import User

__all__ = [
    "AuditEvent",
    "Group",
    "IdpConnection",
    "Membership",
    "OutboxEvent",
    "ScimToken",
    "User",
    "UserSession",
]
