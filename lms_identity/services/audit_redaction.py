"""The one way personal data leaves the audit trail: pseudonymising a purged person's events.

Events stay (who did what, when, stays evidence); the person's name in their labels and the values of
their personal attributes in `changes` are replaced. Each rewritten event is marked `redacted` and keeps
the digest of its original personal fields, so the hash chain still verifies, and verify_audit accepts a
redacted event only when the chain also holds a `user.purged` event for the person it names. On
PostgreSQL the append-only trigger lets these rows change only while this function runs (a transaction-
local setting) and only in the personal fields.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection

from lms_identity.models import AuditEvent
from lms_identity.models.audit import ActorType

REDACTION_SETTING = "lms.audit_redaction"


def redact_person(user_id: str, pseudonym: str, *, personal: Iterable[str], placeholder: str) -> int:
    """Rewrite a person's audit events under `pseudonym`: the label of events about them and of events
    they made, and the values of the `personal` fields in the changes of events about them. Must run in
    the purge's transaction, which records the `user.purged` event. Idempotent (a repeat rewrites the
    same values). Returns how many events were rewritten."""
    if not connection.in_atomic_block:
        raise RuntimeError("redact_person must run inside the purge's transaction")
    personal = set(personal)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    _allow_redaction(True)
    try:
        with connection.cursor() as cursor:
            about = AuditEvent.objects.filter(target_type="user", target_id=user_id)
            rows = [(e.pk, e.changes) for e in about.only("changes").iterator(chunk_size=500)]
            updates = [
                (pseudonym, _adapt(_scrub(changes, personal, placeholder)), pk) for pk, changes in rows
            ]
            cursor.executemany(
                f"UPDATE {table} SET target_label = %s, changes = %s, redacted = TRUE WHERE id = %s",  # noqa: S608
                updates,
            )
            cursor.execute(
                f"UPDATE {table} SET actor_label = %s, redacted = TRUE "  # noqa: S608
                "WHERE actor_type = %s AND actor_id = %s",
                [pseudonym, ActorType.USER, user_id],
            )
            made = cursor.rowcount
    finally:
        _allow_redaction(False)
    return len(updates) + max(made, 0)


def _scrub(changes: Any, personal: set[str], placeholder: str) -> Any:
    if not isinstance(changes, dict):
        return changes
    return {field: [placeholder, placeholder] if field in personal else v for field, v in changes.items()}


def _adapt(value: Any) -> Any:
    return connection.ops.adapt_json_value(value, None)


def _allow_redaction(on: bool) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [REDACTION_SETTING, "on" if on else "off"])
