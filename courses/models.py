"""Catalog, entitlement rules, role templates, license pools, grants, overrides and progress."""

from django.conf import settings
from django.db import models

from lms_identity.models import Group

# Origin and TargetType live with the rest of what the target kinds mean; re-exported for the models' users.
from .targets import Origin as Origin
from .targets import TargetType as TargetType
from .targets import key_of, target_of


class CatalogEntry(models.Model):
    """What a course and a learning path share: a slug, a title and whether learners see it."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Course(CatalogEntry):
    """A course in the catalog (Meta and ordering come from CatalogEntry)."""


class LearningPath(CatalogEntry):
    """An ordered series of courses; a grant of the path opens every course in it."""

    courses = models.ManyToManyField(Course, through="PathCourse", related_name="paths")


class PathCourse(models.Model):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["path", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["path", "course"], name="path_course_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.path_id} #{self.position}: {self.course_id}"


class CourseInstructor(models.Model):
    """A person who teaches a course: with the Instructor role they see its learners and their progress."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="instructor_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taught_courses"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="course_instructor_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} teaches {self.course_id}"


class Capability(models.TextChoices):
    LEARN = "learn", "Take courses"
    VIEW_REPORTS = "view_reports", "See reports' progress"
    TEACH = "teach", "Teach and grade courses"
    MANAGE_CATALOG = "manage_catalog", "Manage the catalog"
    MANAGE_RULES = "manage_rules", "Manage entitlement rules and license pools"
    MANAGE_JOBS = "manage_jobs", "Run and watch background jobs and sweeps"
    VIEW_PEOPLE = "view_people", "See people and groups"
    VIEW_AUDIT = "view_audit", "Read the audit trail"
    VIEW_DASHBOARDS = "view_dashboards", "See dashboards and exports"
    APPROVE_BREAK_GLASS = "approve_break_glass", "Approve a break-glass sign-in"
    VIEW_CONNECTIONS = "view_connections", "See IdP connections: SCIM and sign-in URLs, health, request log"
    MANAGE_SCIM_TOKENS = "manage_scim_tokens", "Issue, rotate and revoke IdP connections' SCIM tokens"


class RoleTemplate(models.Model):
    """A curated set of capabilities. `requires_explicit_rule` roles (L&D admin) are never granted by the
    HR mapping matrix, only by an entitlement rule or a manual override. No role makes anyone a superuser."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    capabilities = models.JSONField(default=list, blank=True)
    requires_explicit_rule = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LicensePool(models.Model):
    product = models.CharField(max_length=255, unique=True)
    seat_count = models.PositiveIntegerField()
    grace_days = models.PositiveIntegerField(
        default=0, help_text="Days a person who stops matching keeps the seat before it is reclaimed."
    )
    # The highest utilization alert (0, 75, 100) already raised; lowered again when usage drops.
    alert_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product"]

    def __str__(self) -> str:
        return self.product


class SeatWait(models.Model):
    """A person an enabled seat rule of the pool selects who found no free seat, since when: the waiting
    list is first come, first served by `since`. Written by the reconciler when a seat is not available
    (`courses.reconcile.seats`) and removed when the person gets a seat or stops waiting."""

    pool = models.ForeignKey(LicensePool, on_delete=models.CASCADE, related_name="waits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_waits")
    since = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "user"], name="seat_wait_unique")]
        indexes = [models.Index(fields=["pool", "since", "user"], name="seat_wait_queue_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} waits for {self.pool_id} since {self.since:%Y-%m-%d %H:%M}"


class RemovalPolicy(models.TextChoices):
    KEEP = "keep", "Keep access"
    SUSPEND = "suspend", "Suspend access"
    REVOKE = "revoke", "Revoke access"


class TargetFields(models.Model):
    """What a rule, grant or override is about: exactly one of course, path, role or pool (for a seat).
    `courses.targets` maps each target type to its field."""

    # No index per target: lookups go by person and `key` (or pool and state); a grant table of millions of
    # rows pays for every index on each insert of the full recompute.
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    path = models.ForeignKey(
        LearningPath, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    role = models.ForeignKey(
        RoleTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    pool = models.ForeignKey(
        LicensePool, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        abstract = True

    @property
    def target(self) -> models.Model | None:
        return target_of(self)

    @property
    def target_key(self) -> str:
        return key_of(self)

    @property
    def target_label(self) -> str:
        return f"{self.get_target_type_display()}: {self.target}"  # type: ignore[attr-defined]


class EntitlementRule(TargetFields):
    """Who (groups of any source, and/or attribute conditions) gets what (the target).

    `conditions` is a list of {"attribute": name, "values": [..]}; a person matches a condition when the
    attribute equals one of the values, ignoring case. Groups match when the person is in any of them.
    Every part that is set must match."""

    name = models.CharField(max_length=255)
    enabled = models.BooleanField(default=True)
    groups = models.ManyToManyField(Group, blank=True, related_name="entitlement_rules")
    conditions = models.JSONField(default=list, blank=True)
    hire_within_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only people hired in the last N days (onboarding)."
    )
    removal_policy = models.CharField(
        max_length=10, choices=RemovalPolicy.choices, default=RemovalPolicy.SUSPEND
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class HrAttribute(models.TextChoices):
    DEPARTMENT = "department", "Department"
    ORGANIZATION = "organization", "Organization"
    DIVISION = "division", "Division"


class HrRoleMapping(models.Model):
    """One cell of the HR mapping matrix: people of this department (or org unit) hold this role."""

    attribute = models.CharField(max_length=20, choices=HrAttribute.choices)
    value = models.CharField(max_length=255)
    role = models.ForeignKey(RoleTemplate, on_delete=models.PROTECT, related_name="hr_mappings")

    class Meta:
        ordering = ["attribute", "value"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value", "role"], name="hr_mapping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()} {self.value} → {self.role}"


class GrantState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class Grant(TargetFields):
    """One right of one person and where it came from. Rows are never deleted: revoking sets the state."""

    # Indexed by the unique (user, key, origin_key) constraint.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants", db_index=False
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    # One grant per person, target and origin; the key formats are in courses.targets.
    origin_key = models.CharField(max_length=40)
    key = models.CharField(max_length=40, help_text="The target, as type:id.")
    # Indexed through origin_key ("rule:<id>").
    rule = models.ForeignKey(
        EntitlementRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    state = models.CharField(max_length=10, choices=GrantState.choices, default=GrantState.ACTIVE)
    grace_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "key", "origin_key"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "origin_key"], name="grant_unique_per_origin"),
        ]
        indexes = [
            models.Index(fields=["pool", "state"], name="grant_pool_state_idx"),
            models.Index(fields=["origin_key", "state"], name="grant_origin_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} ({self.origin_key}, {self.state})"


class OverrideEffect(models.TextChoices):
    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"


class Override(TargetFields):
    """An admin's decision for one person and one target, which every recompute respects until it expires."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="overrides")
    key = models.CharField(max_length=40)
    effect = models.CharField(max_length=5, choices=OverrideEffect.choices)
    expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, default="")
    created_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "key"]
        constraints = [
            # One decision per person and target: an allow and a deny for the same target cannot coexist.
            models.UniqueConstraint(fields=["user", "key"], name="override_one_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.effect} {self.key} for {self.user_id}"


class Progress(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Enrollment(models.Model):
    """A person's progress in a course. Never deleted when access ends: completions are history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    progress = models.CharField(max_length=12, choices=Progress.choices, default=Progress.ENROLLED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "course"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}: {self.progress}"
