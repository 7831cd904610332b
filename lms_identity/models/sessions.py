from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """Indexes Django sessions by user, so a leaver's sessions are deleted in one statement."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    connection = models.ForeignKey(
        "lms_identity.IdpConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mfa_evidenced = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.user_id}"
