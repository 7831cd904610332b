from django.conf import settings
from django.db import models
from django.db.models import Q


class MarkKind(models.TextChoices):
    KEEP = "keep", "Keep unmanaged"
    ADOPT = "adopt", "To be adopted by a connection"
    MERGED = "merged", "Merged into another account"


class AccountMark(models.Model):
    """An L&D admin's decision about an existing account before SCIM is switched on (the clean-up of
    lms_identity/cleanup), read by the adoption rule: keep it out of every IdP's reach; let one named
    connection adopt it even while that connection's "Adopt existing accounts" switch is off; or, for
    the deactivated duplicate of a merge, send a create that names it to the account it was merged into."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_mark"
    )
    kind = models.CharField(max_length=10, choices=MarkKind.choices)
    connection = models.ForeignKey(
        "lms_identity.IdpConnection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_marks",
    )
    merged_into = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="merged_accounts",
    )
    note = models.CharField(max_length=255, blank=True, default="")
    marked_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="keep", connection__isnull=True, merged_into__isnull=True)
                | Q(kind="adopt", connection__isnull=False, merged_into__isnull=True)
                | Q(kind="merged", connection__isnull=True, merged_into__isnull=False),
                name="account_mark_kind_fields",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user_id})"
