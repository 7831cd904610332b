"""Saving a person whose userName, email or externalId another person may hold: the database's unique
constraints decide, and a clash becomes a UniquenessConflict naming the attribute (never its text)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction

from lms_identity.errors import UniquenessConflict
from lms_identity.models import User

# Which unique constraint an IntegrityError names, to say which attribute clashed without its text.
UNIQUE_CONSTRAINT_FIELDS = {
    "user_email_ci_unique": "email",
    "user_external_id_per_connection_unique": "external_id",
    "user_user_name_ci_unique": "user_name",
}


@contextmanager
def clash_named() -> Iterator[None]:
    """Around a write of a person (a save, or the one statement that inserts a new person with their
    audit event): a unique-constraint clash raises UniquenessConflict naming the attribute. The same
    rules as save_unique: inside the service's atomic block, and no query between the clash and its end."""
    try:
        yield
    except IntegrityError as exc:
        field = _clashing_field(exc)
        if field is None:
            raise  # no unique constraint of a person (a foreign key, the events' rows): not a clash
        raise UniquenessConflict(field, f"{field} is already taken") from None


def save_unique(user: User, **kwargs: Any) -> None:
    """user.save(**kwargs); a unique-constraint clash raises UniquenessConflict.

    No savepoint of its own (two statements per save): it runs inside the atomic block of the user
    service that called it, and the UniquenessConflict leaves that block, which rolls back the whole
    change (to its own savepoint when a caller's transaction surrounds it, as at SSO sign-in, so that
    caller can go on). Nothing may run a query between this clash and the end of that block."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("save_unique runs inside the calling service's transaction.atomic() block")
    with clash_named():
        user.save(**kwargs)


def _clashing_field(exc: IntegrityError) -> str | None:
    text = str(exc).lower()
    for constraint, field in UNIQUE_CONSTRAINT_FIELDS.items():
        if constraint in text:
            return field
    # SQLite names the columns, not the constraint: "UNIQUE constraint failed: index 'user_email_ci_unique'"
    # on recent versions, "...: lms_identity_user.connection_id, lms_identity_user.external_id" on others.
    if "external_id" in text:
        return "external_id"
    if ".email" in text or "lower(email)" in text:
        return "email"
    return "user_name" if "unique" in text else None
