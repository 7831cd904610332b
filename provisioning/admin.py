"""Admin for the background jobs: job runs with "run now" and "dry run", sweep settings, alerts, latency."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from .models import Alert, DeprovisioningLatency, JobRun, SweepSettings, Trigger
from .services.alerts import resolve_alert
from .services.job_runs import queue_job
from .services.latency import latency_summary


def _queue(modeladmin: admin.ModelAdmin, request: HttpRequest, kinds: list[str], *, dry_run: bool) -> None:
    for kind in dict.fromkeys(kinds):
        run = queue_job(kind, dry_run=dry_run, trigger=Trigger.ADMIN)
        modeladmin.message_user(
            request,
            f"{'Dry run' if dry_run else 'Run'} #{run.pk} of {run.get_kind_display()} queued; "
            "it starts as soon as a worker is free (one run of a job at a time).",
            messages.SUCCESS,
        )


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "trigger", "dry_run", "status", "progress", "created_at", "finished_at")
    list_filter = ("kind", "status", "dry_run", "trigger")
    readonly_fields = [f.name for f in JobRun._meta.fields]
    actions = ["run_now", "dry_run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="progress", ordering="processed")
    def progress(self, run: JobRun) -> str:
        percent = run.progress_percent
        if percent is None:
            return f"{run.processed}"
        return format_html("{} / {} ({}%)", run.processed, run.total, percent)

    @admin.action(description="Run again now", permissions=["view"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> None:
        _queue(self, request, list(queryset.values_list("kind", flat=True)), dry_run=False)

    @admin.action(description="Dry run (report only, change nothing)", permissions=["view"])
    def dry_run(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> None:
        _queue(self, request, list(queryset.values_list("kind", flat=True)), dry_run=True)


@admin.register(SweepSettings)
class SweepSettingsAdmin(admin.ModelAdmin):
    list_display = ("kind", "enabled", "days", "chunk_size", "max_actions_per_run", "brake_share")
    list_editable = ("enabled", "days", "brake_share")
    actions = ["run_now", "dry_run"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("kind",) if obj else ()

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[SweepSettings]) -> None:
        _queue(self, request, list(queryset.values_list("kind", flat=True)), dry_run=False)

    @admin.action(description="Dry run (report only, change nothing)")
    def dry_run(self, request: HttpRequest, queryset: QuerySet[SweepSettings]) -> None:
        _queue(self, request, list(queryset.values_list("kind", flat=True)), dry_run=True)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("message", "occurrences", "created_at", "last_seen_at", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    readonly_fields = (
        "key",
        "message",
        "job_run",
        "created_at",
        "last_seen_at",
        "occurrences",
        "resolved_at",
    )
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark as resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        closed = sum(resolve_alert(key) for key in queryset.values_list("key", flat=True))
        self.message_user(request, f"{closed} alert(s) resolved.", messages.SUCCESS)


@admin.register(DeprovisioningLatency)
class DeprovisioningLatencyAdmin(admin.ModelAdmin):
    list_display = ("user_id", "event_kind", "requested_at", "sessions_seconds", "seats_seconds")
    list_filter = ("event_kind",)
    readonly_fields = [f.name for f in DeprovisioningLatency._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="to sessions gone (s)")
    def sessions_seconds(self, row: DeprovisioningLatency) -> str:
        return f"{row.to_sessions_gone:.3f}"

    @admin.display(description="to seats reclaimed (s)")
    def seats_seconds(self, row: DeprovisioningLatency) -> str:
        value = row.to_seats_reclaimed
        return "—" if value is None else f"{value:.3f}"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        summary = latency_summary()
        if summary["leavers"]:
            self.message_user(
                request,
                "p50 / p99 to sessions gone: {:.3f} s / {:.3f} s; to seats reclaimed: {} / {}".format(
                    summary["sessions_gone_p50"] or 0,
                    summary["sessions_gone_p99"] or 0,
                    _seconds(summary["seats_reclaimed_p50"]),
                    _seconds(summary["seats_reclaimed_p99"]),
                ),
                messages.INFO,
            )
        return super().changelist_view(request, extra_context)


def _seconds(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


# The SCIM request log: recent failures per connection (admin_request_log.py).
from . import admin_request_log  # noqa: E402, F401
