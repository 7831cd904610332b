"""Domain exceptions of the identity core. Edges turn them into their caller's format."""

from typing import Any


class IdentityError(Exception):
    """Base of every refusal the core makes."""


class UniquenessConflict(IdentityError):
    """Another person or group already holds this userName, email, externalId or displayName."""

    def __init__(self, field: str, message: str | None = None) -> None:
        self.field = field
        super().__init__(message or f"{field} is already taken")


class InvalidValue(IdentityError):
    """A value the model cannot hold (too long, wrong type, a loop in the manager chain)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class VersionMismatch(IdentityError):
    """The caller's If-Match no longer matches the stored version."""


class AdoptionRefused(UniquenessConflict):
    """An IdP connection tried to adopt or rename a person it may not take (see services/adoption.py).

    A UniquenessConflict, so SCIM answers 409 `uniqueness` as for any taken userName: the IdP learns
    nothing it did not know. `reason` is ADMIN_POWER or ADOPTION_OFF; `attempt` is "adopt" or "rename".
    The edge that answers it calls `adoption.record_refusal` once the refused change has rolled back."""

    def __init__(
        self, field: str, *, user: Any, connection_id: int | None, reason: str, attempt: str
    ) -> None:
        self.user = user
        self.connection_id = connection_id
        self.reason = reason
        self.attempt = attempt
        super().__init__(field)


class UnstorableText(InvalidValue):
    """A string the database cannot hold: a lone surrogate (not encodable as UTF-8) or NUL (PostgreSQL
    text cannot contain it). `field` is where it was found (`name.givenName`, `Operations[0].value`)."""

    def __init__(self, field: str) -> None:
        super().__init__(field, f"{field} contains a character that cannot be stored")


class NestedTooDeep(IdentityError):
    """A JSON document nests arrays and objects deeper than any valid request does."""


class BreakGlassRefused(IdentityError):
    """The break-glass account may not be used, or a request may not be filed or approved, and why (a
    sentence for the person asking)."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


class CleanupRefused(IdentityError):
    """A clean-up action (merge, mark) that would touch an account it must not: one with admin power,
    one an IdP owns, or an account merged already. `message` is a sentence for the admin."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
