from django.db import models

from ..json_input import StoredJSONDecoder


class ActorType(models.TextChoices):
    CONNECTION = "connection", "IdP connection"
    ADMIN = "admin", "Admin"
    USER = "user", "The person themself"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """Who did what to whom, and what changed. Written in the same transaction as the change."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_type = models.CharField(max_length=12, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True, default="")
    actor_label = models.CharField(max_length=255, blank=True, default="")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=32, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=255, blank=True, default="")
    connection = models.ForeignKey(
        "lms_identity.IdpConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"field": [before, after], ...}
    changes = models.JSONField(default=dict, blank=True, decoder=StoredJSONDecoder)
    # Outcome, reason, request id: whatever explains the event.
    context = models.JSONField(default=dict, blank=True, decoder=StoredJSONDecoder)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_label}"
