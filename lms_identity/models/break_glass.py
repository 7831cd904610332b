from django.conf import settings
from django.db import models


class BreakGlassAccount(models.Model):
    """The one local account that may sign in with a password (a superuser made by
    `manage.py create_break_glass`), and only inside a window a second L&D admin approved."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"break-glass account {self.user_id}"


class BreakGlassRequest(models.Model):
    """A request to use the break-glass account: filed by one L&D admin, approved by another signed in
    through SSO, used once inside its window (from approval, `minutes` long)."""

    reason = models.TextField()
    minutes = models.PositiveSmallIntegerField(help_text="How long the window stays open once approved.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    window_ends_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # Set once the window has passed and the beat job closed it (sessions ended, never usable again).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            # The beat job's "windows that passed and are not closed yet": a handful of rows, always.
            models.Index(
                fields=["window_ends_at"],
                name="break_glass_open_window_idx",
                condition=models.Q(closed_at__isnull=True, window_ends_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"break-glass request #{self.pk}"

    @property
    def status(self) -> str:
        if self.closed_at is not None:
            return "closed (used)" if self.used_at is not None else "expired unused"
        if self.used_at is not None:
            return "used"
        if self.approved_at is None:
            return "pending"
        return "approved"
