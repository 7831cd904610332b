"""Which database errors clear on their own. Edges answer a transient one with "retry later" (SCIM 429
with Retry-After) and a deterministic one as the caller's fault or ours: telling an IdP to retry a
query the database can never run has it retry forever.

Classified by the driver's own code, never by message text where a code exists: PostgreSQL's SQLSTATE
(psycopg's `sqlstate`), SQLite's result code (`sqlite_errorname`, Python 3.11+)."""

from django.db import DatabaseError

# Serialization failure, deadlock, lock_timeout, statement_timeout, out of memory, too many
# connections, and the server shutting down or starting up.
TRANSIENT_SQLSTATES = frozenset(
    {"40001", "40P01", "55P03", "57014", "53200", "53300", "57P01", "57P02", "57P03"}
)
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08"})  # connection exceptions
TOO_COMPLEX_SQLSTATE_CLASS = "54"  # program_limit_exceeded: statement too complex, stack depth, ...
TRANSIENT_SQLITE_CODES = ("SQLITE_BUSY", "SQLITE_LOCKED")  # and their extended codes (SQLITE_BUSY_*)
# SQLite reports its parser and expression limits as the generic SQLITE_ERROR: these are its messages.
SQLITE_LIMIT_MESSAGES = (
    "parser stack overflow",
    "expression tree is too large",
    "too many sql variables",
    "too many terms in compound select",
    "too many columns",
    "at most 64 tables in a join",
)


def is_transient(exc: DatabaseError) -> bool:
    """Whether retrying the same request later can succeed."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES
    sqlite_name = getattr(cause, "sqlite_errorname", None)
    if sqlite_name is not None:
        return str(sqlite_name).startswith(TRANSIENT_SQLITE_CODES)
    # psycopg without a SQLSTATE: the connection itself failed (lost, refused, timed out).
    return type(cause).__module__.startswith("psycopg")


def is_too_complex(exc: DatabaseError) -> bool:
    """Whether the database refused the statement for its size or depth: the same request always fails."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(TOO_COMPLEX_SQLSTATE_CLASS)
    if getattr(cause, "sqlite_errorname", None) == "SQLITE_TOOBIG":
        return True
    message = str(exc).lower()
    return getattr(cause, "sqlite_errorname", None) == "SQLITE_ERROR" and message.startswith(
        SQLITE_LIMIT_MESSAGES
    )
