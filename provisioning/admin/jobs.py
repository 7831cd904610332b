"""Background jobs: the sweeps with "Run now" and "Dry run", and every job run with its progress."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from provisioning.models import JobRun, SweepSettings, Trigger
from provisioning.services.job_runs import queue_job


def _queue(modeladmin: ModelAdmin, request: HttpRequest, kinds: list[str], *, dry_run: bool) -> None:
    for kind in dict.fromkeys(kinds):
        run = queue_job(kind, dry_run=dry_run, trigger=Trigger.ADMIN)
        modeladmin.message_user(
            request,
            f"{'Dry run' if dry_run else 'Run'} #{run.pk} of {run.get_kind_display()} queued; "
            "it starts as soon as a worker is free (one run of a job at a time).",
            messages.SUCCESS,
        )


@admin.register(JobRun)
class JobRunAdmin(ModelAdmin):
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
class SweepSettingsAdmin(ModelAdmin):
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
