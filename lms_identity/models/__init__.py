from .account_marks import AccountMark, MarkKind
from .api_tokens import ApiToken
from .audit import AuditChainHead, AuditCheckpoint, AuditEvent
from .break_glass import BreakGlassAccount, BreakGlassRequest
from .connections import IdpConnection, ScimToken
from .groups import Group, Membership
from .oidc import GroupClaimMapping, LoginRecord, OidcConfig, SubjectLink
from .outbox import OutboxEvent
from .people_counts import LivePeopleCount
from .sessions import UserSession
from .users import User

__all__ = [
    "AccountMark",
    "ApiToken",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "BreakGlassAccount",
    "BreakGlassRequest",
    "Group",
    "GroupClaimMapping",
    "IdpConnection",
    "LivePeopleCount",
    "LoginRecord",
    "MarkKind",
    "OidcConfig",
    "Membership",
    "OutboxEvent",
    "ScimToken",
    "SubjectLink",
    "User",
    "UserSession",
]
