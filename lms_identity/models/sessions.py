from django.conf import settings
from django.db import models


class EndCause(models.TextChoices):
    """Why a session ended: the `cause` of every `session.ended` audit event."""

    LOGOUT = "logout", "Signed out here"
    RP_LOGOUT = "rp_logout", "Signed out here and at the IdP (RP-initiated logout)"
    FRONTCHANNEL_LOGOUT = "frontchannel_logout", "Front-channel logout from the IdP"
    BACKCHANNEL_LOGOUT = "backchannel_logout", "Back-channel logout from the IdP"
    SESSION_REVOKED = "session_revoked", "Shared Signals: CAEP session-revoked"
    CREDENTIAL_CHANGE = "credential_change", "Shared Signals: CAEP credential-change"
    UNIVERSAL_LOGOUT = "universal_logout", "Okta Universal Logout"
    DEACTIVATED = "deactivated", "The person was deactivated"
    DELETED = "deleted", "The person was deleted"
    SWEEP = "sweep", "A sweep found an inactive person's session"
    ADMIN = "admin", "Ended by an administrator"
    SELF = "self", "Ended by the person from My sessions"
    IDLE_TIMEOUT = "idle_timeout", "Idle for longer than the connection allows"
    ABSOLUTE_TIMEOUT = "absolute_timeout", "Older than the connection's absolute lifetime"
    EXPIRED = "expired", "Unused for longer than the cookie lifetime (SESSION_COOKIE_AGE)"
    REVERIFICATION_FAILED = "reverification_failed", "The IdP refused a silent re-authentication"
    REPLACED = "replaced", "Another person signed in on the same browser"
    # Written before losing an admin role kept the session (admin access now drops from it instead).
    ADMIN_ROLE_LOST = "admin_role_lost", "The person lost an admin role"
    BREAK_GLASS_CLOSED = "break_glass_closed", "The break-glass window closed"


class UserSession(models.Model):
    """The session index: every live Django session by person (and by IdP session id), so any ending
    deletes exactly the sessions it names, in time proportional to them, never by scanning sessions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    connection = models.ForeignKey(
        "lms_identity.IdpConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mfa_evidenced = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The IdP's session id (the ID token's `sid`), for back-channel, front-channel and CAEP logouts.
    sid = models.CharField(max_length=255, blank=True, default="")
    # The ID token of the sign-in, kept only to send as id_token_hint when the person signs out
    # (OpenID Connect RP-Initiated Logout 1.0, section 2); never shown, never logged.
    id_token = models.TextField(blank=True, default="", editable=False)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["connection", "sid"], name="user_session_sid_idx", condition=~models.Q(sid="")
            ),
            # The expiry sweep's ranges (lms_identity/services/session_expiry.py), per connection.
            models.Index(fields=["connection", "created_at"], name="user_session_started_idx"),
            models.Index(fields=["connection", "last_seen_at"], name="user_session_last_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"session of {self.user_id}"
