"""Job runs: every run with its progress, a page per run whose progress bar follows the run live (it
polls a small JSON endpoint) and whose report is in words, with names and links."""

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from lms_identity.services.audit import Actor
from provisioning.errors import JobAlreadyRunning
from provisioning.job_reports import describe_run
from provisioning.models import UNFINISHED, JobKind, JobRun, Trigger
from provisioning.services.account_imports import without_rows
from provisioning.services.job_runs import start_job


def queue_runs(
    modeladmin: ModelAdmin, request: HttpRequest, kinds: list[str], *, dry_run: bool
) -> list[JobRun]:
    """Queue a run of each kind (once) and say so; a kind with a run queued or running already is not
    queued again, and the message names that run. Returns the runs (queued, or the one in progress)."""
    runs = []
    actor = Actor.of_admin(request.user)
    if JobKind.ACCOUNT_IMPORT in kinds:
        modeladmin.message_user(
            request, "An account import is started again from People → Import accounts.", messages.WARNING
        )
    for kind in dict.fromkeys(k for k in kinds if k != JobKind.ACCOUNT_IMPORT):
        try:
            run = start_job(kind, dry_run=dry_run, trigger=Trigger.ADMIN, actor=actor)
        except JobAlreadyRunning as busy:
            modeladmin.message_user(
                request, f"Not queued: {busy} (one run of a job at a time).", messages.WARNING
            )
            runs.append(busy.run)
            continue
        modeladmin.message_user(
            request,
            f"{'Dry run' if dry_run else 'Run'} #{run.pk} of {run.get_kind_display()} queued; "
            "it starts as soon as a worker is free (one run of a job at a time).",
            messages.SUCCESS,
        )
        runs.append(run)
    return runs


def progress_of(run: JobRun) -> dict[str, Any]:
    report = describe_run(run)
    return {
        "status": run.get_status_display(),
        "processed": run.processed,
        "total": run.total,
        "percent": 100 if report.finished else (run.progress_percent or 0),
        "finished": report.finished,
        "headline": report.headline,
        "unit": "rows of the file" if run.kind == JobKind.ACCOUNT_IMPORT else "people examined",
    }


@admin.register(JobRun)
class JobRunAdmin(ModelAdmin):
    list_display = ("id", "kind", "trigger", "dry_run", "status", "progress", "created_at", "finished_at")
    list_filter = ("kind", "status", "dry_run", "trigger")
    readonly_fields = [*(f.name for f in JobRun._meta.fields), "params_shown"]
    fieldsets = (
        (
            "Run",
            {"fields": ("kind", "trigger", "dry_run", "status", "created_at", "started_at", "finished_at")},
        ),
        (
            "The raw record",
            {
                "fields": (
                    "params_shown",
                    "heartbeat_at",
                    "cursor",
                    "processed",
                    "total",
                    "counts",
                    "report",
                    "error",
                ),
                "classes": ["collapse"],
            },
        ),
    )
    change_form_outer_before_template = "admin/provisioning/jobrun/run_page.html"
    actions = ["run_now", "dry_run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what ran; the retention sweep is not for job runs

    @admin.display(description="params")
    def params_shown(self, run: JobRun) -> str:
        """The run's parameters; an account import's rows (names and emails) are counted, not shown:
        this page is open to roles that may not see people."""
        return json.dumps(without_rows(run.params), indent=1, default=str)

    @admin.display(description="progress", ordering="processed")
    def progress(self, run: JobRun) -> str:
        percent = run.progress_percent
        if percent is None:
            return f"{run.processed}"
        return format_html("{} / {} ({}%)", run.processed, run.total, percent)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if run is not None:
            extra.update(
                run=run, report=describe_run(run), live=run.status in UNFINISHED, progress=progress_of(run)
            )
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="provisioning_jobrun_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        return JsonResponse(progress_of(get_object_or_404(JobRun, pk=pk)))

    @admin.action(description="Run again now", permissions=["view"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> None:
        queue_runs(self, request, list(queryset.values_list("kind", flat=True)), dry_run=False)

    @admin.action(description="Dry run (report only, change nothing)", permissions=["view"])
    def dry_run(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> None:
        queue_runs(self, request, list(queryset.values_list("kind", flat=True)), dry_run=True)
