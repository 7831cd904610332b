"""Domain exceptions of the identity core. Edges turn them into their caller's format."""


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
