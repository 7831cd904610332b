import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .connections import IdpConnection


class GroupSource(models.TextChoices):
    SCIM = "scim", "SCIM"
    MANUAL = "manual", "Manual"
    CLAIMS = "claims", "SSO groups claim"


class Group(models.Model):
    """A team as the IdP (or an admin) defines it. Not `auth.Group`: these carry no permissions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(
        IdpConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )
    source = models.CharField(max_length=10, choices=GroupSource.choices, default=GroupSource.MANUAL)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                "connection", Lower("display_name"), name="group_display_name_per_connection_ci_unique"
            ),
            models.UniqueConstraint(
                Lower("display_name"),
                condition=Q(connection__isnull=True),
                name="group_display_name_manual_ci_unique",
            ),
            models.UniqueConstraint(
                fields=["connection", "external_id"],
                condition=~Q(external_id=""),
                name="group_external_id_per_connection_unique",
            ),
        ]
        indexes = [models.Index(fields=["connection", "id"], name="group_connection_id_idx")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class Membership(models.Model):
    """A person in a group, tagged by where it came from so one source never overwrites another."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    source = models.CharField(max_length=10, choices=GroupSource.choices, default=GroupSource.SCIM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "source"], name="membership_unique_per_source")
        ]
        indexes = [models.Index(fields=["user", "group"], name="membership_user_group_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.source})"
