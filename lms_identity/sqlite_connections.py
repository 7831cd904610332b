"""What every SQLite connection gets, so that SQLite (laptops, the quick test run) keeps the identity
rules PostgreSQL keeps.

- `lower()` folds every letter, not only A-Z. SQLite's built-in is ASCII-only, so `Émile` and `émile`
  would be two people under the Lower(user_name) and Lower(email) unique indexes (two groups under
  Lower(display_name)) and an `eq` filter would miss one of them. PostgreSQL's lower() already folds
  Unicode (UTF-8 databases): its path and indexes are untouched. The function is deterministic, so
  SQLite keeps using the expression indexes; migration 0005 rebuilds them for databases created before.
- Text that is not valid UTF-8 (written by another tool or an older release) reads back with U+FFFD
  instead of failing every query that touches the row, so no admin page breaks on it."""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


def configure_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: give a new SQLite connection Unicode lower() and lenient text."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("lower", 1, unicode_lower, deterministic=True)
    raw.text_factory = decode_text


def unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def decode_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
