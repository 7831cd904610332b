import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from ..json_input import StoredJSONDecoder
from .connections import IdpConnection


class Source(models.TextChoices):
    SCIM = "scim", "SCIM"
    JIT = "jit", "Just-in-time (SSO)"
    MANUAL = "manual", "Manual"


def user_name_is(value: str) -> Q:
    """userName equals value, ignoring case: lower() on both sides, so the lookup uses the unique index on
    Lower(user_name) (Django's iexact compiles to UPPER() on PostgreSQL and scans the table)."""
    return Q(Exact(Lower("user_name"), Lower(Value(value))))


def email_is(value: str) -> Q:
    """The work email equals value, ignoring case; uses the partial unique index on Lower(email)."""
    return Q(Exact(Lower("email"), Lower(Value(value)))) & ~Q(email="")


class UserQuerySet(models.QuerySet["User"]):
    def active(self) -> "UserQuerySet":
        return self.filter(is_active=True, deleted_at__isnull=True)

    def not_deleted(self) -> "UserQuerySet":
        return self.filter(deleted_at__isnull=True)


class UserManager(BaseUserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def active(self) -> UserQuerySet:
        return self.get_queryset().active()

    def not_deleted(self) -> UserQuerySet:
        return self.get_queryset().not_deleted()

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(user_name_is(username or ""))

    def create_superuser(self, user_name: str, email: str = "", password: str | None = None) -> "User":
        # Only `createsuperuser` reaches this: the owner-level account is never provisioned by an IdP.
        user = self.model(user_name=user_name, email=email, is_staff=True, is_superuser=True)
        user.source = Source.MANUAL
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Attribute names follow RFC 7643 and its enterprise extension."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(
        IdpConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(max_length=255, blank=True, default="")

    user_name = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True, default="", help_text="Primary work email.")
    given_name = models.CharField(max_length=150, blank=True, default="")
    family_name = models.CharField(max_length=150, blank=True, default="")
    middle_name = models.CharField(max_length=150, blank=True, default="")
    display_name = models.CharField(max_length=255, blank=True, default="")
    nick_name = models.CharField(max_length=150, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    user_type = models.CharField(max_length=100, blank=True, default="")
    preferred_language = models.CharField(max_length=35, blank=True, default="")
    locale = models.CharField(max_length=35, blank=True, default="")
    timezone = models.CharField(max_length=64, blank=True, default="")

    # urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
    employee_number = models.CharField(max_length=100, blank=True, default="")
    cost_center = models.CharField(max_length=100, blank=True, default="")
    organization = models.CharField(max_length=255, blank=True, default="")
    division = models.CharField(max_length=255, blank=True, default="")
    department = models.CharField(max_length=255, blank=True, default="")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    # A manager named by the IdP before they were provisioned: linked when they arrive.
    pending_manager_ref = models.CharField(max_length=255, blank=True, default="")

    # Our extension: urn:ietf:params:scim:schemas:extension:lms:2.0:User
    hire_date = models.DateField(null=True, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True, decoder=StoredJSONDecoder)

    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = UserManager()

    USERNAME_FIELD = "user_name"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("user_name"), name="user_user_name_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["connection", "external_id"],
                condition=~Q(external_id=""),
                name="user_external_id_per_connection_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "id"], name="user_connection_id_idx"),
            models.Index(fields=["connection", "external_id"], name="user_connection_extid_idx"),
            # The few people waiting for a manager not provisioned yet: every create looks here for its
            # reports, and a person with no pending reference (nearly all) adds no entry on insert.
            models.Index(
                fields=["connection", "pending_manager_ref"],
                condition=~Q(pending_manager_ref=""),
                name="user_waiting_report_idx",
            ),
            # SCIM list pages deep into a connection's live people find their ids in this partial index
            # alone (no table rows read); the total comes from LivePeopleCount.
            models.Index(
                fields=["connection", "id"], condition=Q(deleted_at__isnull=True), name="user_live_page_idx"
            ),
            # The inactive-access sweep walks leavers in id order: this index holds only them.
            models.Index(
                fields=["id"],
                condition=Q(is_active=False) | Q(deleted_at__isnull=False),
                name="user_gone_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.user_name

    @property
    def formatted_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.family_name) if p)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'
