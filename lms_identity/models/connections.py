from django.db import models
from django.utils import timezone


class IdpConnection(models.Model):
    """One corporate identity provider: its SCIM tokens, and (optionally) its OpenID Connect settings."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    is_demo = models.BooleanField(default=False, help_text="Wired to the local demo OpenID provider.")
    adopt_existing_accounts = models.BooleanField(
        "Adopt existing accounts",
        default=False,
        help_text=(
            "Let SCIM take over an existing account that belongs to no connection (made by hand or "
            "imported) when it creates a person with the same userName or email. Accounts with admin "
            "power are never adopted. Every adoption is audited."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "IdP connection"

    def __str__(self) -> str:
        return self.name or self.slug


class ScimToken(models.Model):
    """A bearer token an IdP's SCIM connector presents. Only its SHA-256 digest is stored.

    SHA-256 rather than a password hash: tokens are 256 random bits (no dictionary to slow down) and
    the digest is computed on every SCIM request.
    """

    connection = models.ForeignKey(IdpConnection, on_delete=models.CASCADE, related_name="scim_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first characters.")
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when the token is rotated: it keeps working until then (the overlap), then stops on its own.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.connection.slug})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
