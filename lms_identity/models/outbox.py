from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    """Something changed that other parts must act on. Written in the same transaction as the change;
    a dispatcher on the workers turns it into tasks, so a broker outage delays follow-up work but never
    loses it."""

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_pending_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
