"""What the background jobs record: job runs, alerts, sweep settings, locks, deprovisioning latency."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobKind(models.TextChoices):
    INACTIVE_ACCESS = "inactive_access", "Inactive people still holding access"
    ORPHANED_ACCOUNTS = "orphaned_accounts", "Orphaned accounts (no IdP, no login)"
    DISABLED_CONNECTION = "disabled_connection", "People of a disabled connection"
    RETENTION_PURGE = "retention_purge", "Soft-deleted people past retention"
    UNUSED_SEATS = "unused_seats", "Unused seats"
    RECONCILE_EVERYONE = "reconcile_everyone", "Full reconcile of everyone's grants"
    RECOMPUTE_RULE = "recompute_rule", "Recompute everyone a rule affects"
    RECONCILE_PEOPLE = "reconcile_people", "Recompute grants of people"
    OUTBOX_DISPATCH = "outbox_dispatch", "Outbox dispatch"
    MAINTENANCE = "maintenance", "Alert check or resume of job runs"
    ACCOUNT_IMPORT = "account_import", "Import of existing accounts (clean-up before SCIM)"


class Trigger(models.TextChoices):
    BEAT = "beat", "Schedule"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command line"
    API = "api", "Admin API"
    EVENT = "event", "Event"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    BRAKED = "braked", "Stopped by the safety brake"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run was in progress)"


UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)


class JobRun(models.Model):
    """One run of a background job: what ran, why, how far it got and what it did.

    A sweep walks people by primary key and stores the last key it finished in `cursor`, in the same
    transaction as that chunk's changes, so a run resumed after a crash starts where the last one stopped.
    """

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.BEAT)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cursor = models.CharField(max_length=64, blank=True, default="")
    processed = models.PositiveIntegerField(default=0, help_text="People examined so far.")
    total = models.PositiveIntegerField(null=True, blank=True, help_text="People to examine (estimate).")
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True, help_text="What a dry run would do (a sample).")
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status"], name="jobrun_kind_status_idx"),
            models.Index(fields=["status", "finished_at"], name="jobrun_status_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.processed / self.total))


class Alert(models.Model):
    """Something an admin must look at: shown as a banner in the admin, logged, optionally posted."""

    key = models.CharField(max_length=128, help_text="One open alert per key; repeats update it.")
    message = models.TextField()
    job_run = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    occurrences = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(resolved_at__isnull=True), name="alert_open_key"
            )
        ]

    def __str__(self) -> str:
        return self.message[:80]


class SweepSettings(models.Model):
    """The knobs of one sweep, editable in the admin. Missing rows get the defaults in sweeps/registry."""

    kind = models.CharField(max_length=32, choices=JobKind.choices, unique=True)
    enabled = models.BooleanField(default=True)
    days = models.PositiveIntegerField(
        default=90, help_text="The sweep's N: days without login, of retention, or of an unused seat."
    )
    chunk_size = models.PositiveIntegerField(default=500)
    max_actions_per_run = models.PositiveIntegerField(default=10_000)
    brake_share = models.FloatField(
        default=0.2,
        help_text="Stop and alert when a run would act on more than this share of a connection's people "
        "(0.2 = 20 %). 1 turns the brake off.",
    )
    brake_min_people = models.PositiveIntegerField(
        default=10, help_text="The brake ignores connections where fewer people than this would be acted on."
    )

    class Meta:
        verbose_name = "sweep settings"
        verbose_name_plural = "sweep settings"

    def __str__(self) -> str:
        return self.get_kind_display()


class JobLock(models.Model):
    """A lease that lets one worker at a time run a sweep when there is no Redis (filesystem broker)."""

    name = models.CharField(max_length=64, primary_key=True)
    owner = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class DeprovisioningLatency(models.Model):
    """One leaver: when the IdP's request arrived, when their sessions were gone, when their seats were
    reclaimed. Feeds the dashboard's p50/p99."""

    user_id = models.UUIDField(db_index=True)
    connection_id = models.BigIntegerField(null=True, blank=True)
    event_kind = models.CharField(max_length=32)
    outbox_event_id = models.BigIntegerField()
    requested_at = models.DateTimeField()
    sessions_gone_at = models.DateTimeField()
    seats_reclaimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name_plural = "deprovisioning latencies"
        constraints = [
            models.UniqueConstraint(fields=["outbox_event_id", "user_id"], name="latency_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["user_id"], condition=Q(seats_reclaimed_at__isnull=True), name="latency_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.requested_at:%Y-%m-%d %H:%M:%S}"

    @property
    def to_sessions_gone(self) -> float:
        return (self.sessions_gone_at - self.requested_at).total_seconds()

    @property
    def to_seats_reclaimed(self) -> float | None:
        if self.seats_reclaimed_at is None:
            return None
        return (self.seats_reclaimed_at - self.requested_at).total_seconds()


class PurgedPerson(models.Model):
    """A soft-deleted person whose personal data the retention sweep removed. The audit trail keeps
    their events under `pseudonym`."""

    user_id = models.UUIDField(primary_key=True)
    pseudonym = models.CharField(max_length=64, unique=True, default="")
    purged_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.pseudonym

    @staticmethod
    def new_pseudonym() -> str:
        # Random, not derived from the id: nothing left in the database leads back to the person.
        return f"purged-{uuid.uuid4().hex[:16]}"


class ScimRequest(models.Model):
    """One SCIM request and our answer, for troubleshooting an IdP's provisioning: written by the SCIM
    edge (provisioning/scim/request_log.py), bodies redacted, kept SCIM_REQUEST_LOG_DAYS days."""

    at = models.DateTimeField(default=timezone.now)  # when the request was answered, not when written
    connection = models.ForeignKey(
        "lms_identity.IdpConnection", null=True, on_delete=models.CASCADE, related_name="+"
    )
    request_id = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField()
    scim_type = models.CharField(max_length=32, blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.FloatField()
    # Redacted: structure, operations and attribute names stay; values are replaced (see redaction.py).
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "SCIM request"
        indexes = [
            models.Index(fields=["connection", "at"], name="scimreq_connection_idx"),
            models.Index(
                fields=["connection", "at"], condition=Q(status__gte=400), name="scimreq_failures_idx"
            ),
            models.Index(fields=["at"], name="scimreq_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"

    @property
    def failed(self) -> bool:
        return self.status >= 400
