from django.db import models


class CeilingRow(models.Model):
    """The table behind the ceiling views: a unique key (like userName) and a JSON payload."""

    key = models.CharField(max_length=255, unique=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bench"

    def __str__(self) -> str:
        return self.key
