"""OpenID Connect sign-in: per-connection settings, who is who at each IdP, group claim mapping, logins."""

from django.conf import settings
from django.db import models

from .connections import IdpConnection
from .encrypted_fields import EncryptedTextField
from .groups import Group

# OpenID Connect Core 3.1.3.7 lets the client pick the algorithms it accepts. Asymmetric only: `none` and
# HS* (signed with the client secret, which a JWKS cannot vouch for) are never accepted.
SUPPORTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
DEFAULT_AMR_VALUES = "mfa,otp,hwk,swk,fpt,sc"
DEFAULT_CLAIM_MAPPING = {
    "email": "email",
    "given_name": "given_name",
    "family_name": "family_name",
    "display_name": "name",
}


class JitPolicy(models.TextChoices):
    OFF = "off", "Off: only people provisioned by SCIM may sign in"
    CREATE = "create", "Create: first sign-in creates the person"
    RESTRICTED = "restricted", "Restricted: create only for allowed domains and/or a required group"


class MfaPolicy(models.TextChoices):
    TRUST_IDP = "trust_idp", "Trust the IdP"
    REQUIRE_AMR = "require_amr", "Require an amr value (RFC 8176)"
    REQUIRE_ACR = "require_acr", "Require an acr value (sent as acr_values)"


class UserJoin(models.TextChoices):
    SUB = "sub", "SCIM externalId = sub"
    OID = "oid", "SCIM externalId = oid (Entra object id)"
    EMAIL = "email", "Verified email, within this connection only"


class OidcConfig(models.Model):
    """The OpenID Connect side of one IdP connection. The client secret is write-only in the admin."""

    connection = models.OneToOneField(IdpConnection, on_delete=models.CASCADE, related_name="oidc")
    issuer = models.URLField(max_length=500, help_text="Exactly as the IdP's `iss`.")
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(blank=True, default="", help_text="Stored encrypted; write-only.")
    scopes = models.CharField(max_length=500, default="openid email profile")
    algorithms = models.CharField(
        max_length=200, default="RS256,ES256", help_text="Comma-separated; RS/PS/ES families only."
    )
    claim_mapping = models.JSONField(
        default=dict, blank=True, help_text='Our attribute -> claim name, e.g. {"department": "dept"}.'
    )
    groups_claim = models.CharField(max_length=100, blank=True, default="groups")
    jit_policy = models.CharField(max_length=12, choices=JitPolicy.choices, default=JitPolicy.OFF)
    jit_required_group = models.CharField(
        max_length=255, blank=True, default="", help_text="Restricted JIT: a groups claim value required."
    )
    allowed_domains = models.CharField(
        max_length=1000, blank=True, default="", help_text="Comma-separated email domains."
    )
    mfa_policy = models.CharField(max_length=12, choices=MfaPolicy.choices, default=MfaPolicy.TRUST_IDP)
    mfa_amr_values = models.CharField(max_length=200, default=DEFAULT_AMR_VALUES)
    mfa_acr_values = models.CharField(max_length=500, blank=True, default="", help_text="Space-separated.")
    max_age = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds; sent as max_age.")
    user_join = models.CharField(max_length=8, choices=UserJoin.choices, default=UserJoin.SUB)
    # Session policy (issue 13); empty means the SSO_SESSION_* default of settings.
    idle_timeout = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds without a request after which a session ends."
    )
    absolute_lifetime = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds after sign-in after which a session ends, active or not."
    )
    reverify_interval = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds after which the IdP is asked again, silently (prompt=none); 0 switches it off.",
    )
    # Admin sessions (issue 12): stricter than learner sessions of the same connection.
    admin_require_mfa = models.BooleanField(
        default=False, help_text="Open /admin/ only to sessions whose sign-in evidenced MFA (amr/acr)."
    )
    admin_max_age = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds after the last interactive sign-in at the IdP after which /admin/ asks for "
        "a fresh one (prompt=login).",
    )

    # Caches of what the IdP publishes, shared by every web process.
    metadata = models.JSONField(default=dict, blank=True, editable=False)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    jwks = models.JSONField(default=dict, blank=True, editable=False)
    jwks_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "OpenID Connect settings"
        verbose_name_plural = "OpenID Connect settings"

    def __str__(self) -> str:
        return f"OIDC {self.issuer}"

    @property
    def algorithm_list(self) -> list[str]:
        wanted = [a.strip() for a in self.algorithms.split(",") if a.strip()]
        return [a for a in wanted if a in SUPPORTED_ALGORITHMS]

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.allowed_domains.split(",") if d.strip()]

    @property
    def amr_list(self) -> list[str]:
        return [a.strip() for a in self.mfa_amr_values.split(",") if a.strip()]

    @property
    def acr_list(self) -> list[str]:
        return self.mfa_acr_values.split()


class SubjectLink(models.Model):
    """(connection, sub) -> person. The only way a returning sign-in finds its person."""

    connection = models.ForeignKey(IdpConnection, on_delete=models.CASCADE, related_name="subject_links")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subject_links")
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "sub"], name="subject_link_unique_per_connection")
        ]

    def __str__(self) -> str:
        return f"{self.sub} at {self.connection_id}"


class GroupClaimMapping(models.Model):
    """A value of the groups claim (a name, or an Entra object-id GUID) -> one of our groups."""

    connection = models.ForeignKey(IdpConnection, on_delete=models.CASCADE, related_name="group_claims")
    claim_value = models.CharField(max_length=255)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="claim_mappings")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "claim_value"], name="group_claim_mapping_unique_per_connection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim_value} -> {self.group_id}"


class LoginRecord(models.Model):
    """One successful SSO sign-in and whether the IdP evidenced MFA (the MFA-adoption figure)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    connection = models.ForeignKey(IdpConnection, on_delete=models.CASCADE, related_name="logins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_logins")
    mfa_evidenced = models.BooleanField(default=False)
    amr = models.JSONField(default=list, blank=True)
    acr = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["connection", "at"], name="login_record_connection_at_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} via {self.connection_id} at {self.at:%Y-%m-%d %H:%M}"
