"""The audit trail: append-only events, chained by a keyed hash (see lms_identity/services/audit_chain.py).

An event is written by whoever makes the change, inside that change's transaction, with no chain fields;
the sealer then gives each committed event its place in the chain (`seq`), the digest of its personal
fields and its keyed hash, once. After that, only the one redaction path may rewrite personal fields.
"""

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from ..json_input import StoredJSONDecoder


class ActorType(models.TextChoices):
    CONNECTION = "connection", "IdP connection"
    ADMIN = "admin", "Admin"
    USER = "user", "The person themself"
    SYSTEM = "system", "System"


class AuditAppendOnly(Exception):
    """An attempt to change or delete an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses bulk update and delete: audit events are evidence. The sealer and the redaction path in
    lms_identity/services/audit_chain.py and audit_redaction.py are the only writers after insert."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnly("audit events are append-only; they cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditAppendOnly("audit events are append-only; they cannot be deleted")

    def pending(self) -> "AuditEventQuerySet":
        """Committed events the sealer has not chained yet."""
        return self.filter(seq__isnull=True)


# The fields a writer records (the chain's own fields aside), in the order bulk writers and exports use.
RECORDED_FIELDS = (
    "at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "connection_id",
    "changes",
    "context",
)


class AuditEvent(models.Model):
    """Who did what to whom, and what changed. Written in the same transaction as the change."""

    # When it happened: now, unless the writer records history it imports (record_event's `at`).
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=12, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True, default="")
    actor_label = models.CharField(max_length=255, blank=True, default="")
    action = models.CharField(max_length=64)  # indexed in Meta: a plain b-tree, no LIKE index
    target_type = models.CharField(max_length=32, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=255, blank=True, default="")
    # No database constraint and no SET NULL: an event keeps naming its connection after the connection
    # is gone, and nothing may rewrite it. No index of its own: audit_connection_idx leads with it.
    connection = models.ForeignKey(
        "lms_identity.IdpConnection",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # {"field": [before, after], ...}
    changes = models.JSONField(default=dict, blank=True, decoder=StoredJSONDecoder)
    # Outcome, reason, request id: whatever explains the event.
    context = models.JSONField(default=dict, blank=True, decoder=StoredJSONDecoder)
    # The chain, set once by the sealer: position (1, 2, ...), SHA-256 of the personal fields (actor_label,
    # target_label, changes) and HMAC-SHA256 over the previous hash and this event. Database defaults
    # too, because courses/bulk_insert.py COPYs events in.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    personal_digest = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    # Set by the redaction path when a purge pseudonymised this event's personal fields.
    redacted = models.BooleanField(default=False, db_default=False, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "at"], name="audit_target_idx"),
            models.Index(fields=["actor_type", "actor_id", "at"], name="audit_actor_idx"),
            models.Index(fields=["connection", "at"], name="audit_connection_idx"),
            # Every insert and every seal (which rewrites the row) writes an entry in each index: the
            # admin's action filter needs this one; nothing searches actions by prefix.
            models.Index(fields=["action"], name="audit_action_idx"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditAppendOnly("audit events are append-only; they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnly("audit events are append-only; they cannot be deleted")


class AuditChainHead(models.Model):
    """The last sealed event: one row (pk 1), locked by the sealer so that sealers run one at a time."""

    seq = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, blank=True, default="")
    sealed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit chain head #{self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "the chain had `seq` events ending in `chain_hash`", also written to the log so
    that a copy outside the database can prove later that the past was not rewritten."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    seq = models.BigIntegerField()
    chain_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} at {self.at:%Y-%m-%d %H:%M:%S}"
