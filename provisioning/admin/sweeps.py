"""The Sweeps page: every sweep kind with its settings, its last run, and big "Run now" and "Dry run"
buttons that queue a run and open its live page."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from provisioning.job_reports import describe_run
from provisioning.models import JobRun, SweepSettings
from provisioning.sweeps.registry import STARTABLE_KINDS, get_sweep

from .jobs import queue_runs

RECENT_RUNS = 200
SWEEP_KINDS = STARTABLE_KINDS


def sweep_rows() -> list[SweepSettings]:
    """The settings row of every sweep kind (a migration creates them); a missing one is shown with the
    sweep's defaults, unsaved, and is created when the sweep first runs. One query."""
    rows = {row.kind: row for row in SweepSettings.objects.filter(kind__in=SWEEP_KINDS)}
    return sorted(
        (rows.get(kind) or SweepSettings(kind=kind, **get_sweep(kind).defaults) for kind in SWEEP_KINDS),
        key=lambda row: row.kind,
    )


def last_runs(kinds: list[str]) -> dict[str, JobRun]:
    """The newest run of each kind, from the recent runs (one query)."""
    newest: dict[str, JobRun] = {}
    for run in JobRun.objects.filter(kind__in=kinds).order_by("-created_at", "-id")[:RECENT_RUNS]:
        newest.setdefault(run.kind, run)
    return newest


@admin.register(SweepSettings)
class SweepSettingsAdmin(ModelAdmin):
    list_display = ("kind", "enabled", "days", "chunk_size", "max_actions_per_run", "brake_share")
    list_editable = ("enabled", "days", "brake_share")
    actions = ["run_now", "dry_run"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("kind",) if obj else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a migration made a row for every sweep kind

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """GET shows the Sweeps page; POST (list actions, list editing) stays Django's."""
        if request.method != "GET" or "classic" in request.GET:
            return super().changelist_view(request, extra_context)
        rows = sweep_rows()
        newest = last_runs([row.kind for row in rows])
        sweeps = [
            {"settings": row, "run": newest.get(row.kind), "report": describe_run(newest[row.kind])}
            if row.kind in newest
            else {"settings": row, "run": None, "report": None}
            for row in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Sweeps",
            "opts": self.opts,
            "sweeps": sweeps,
            "can_run": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/provisioning/sweeps.html", context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "run/<str:kind>/",
                self.admin_site.admin_view(require_POST(self.run_view)),
                name="provisioning_sweepsettings_run",
            ),
            *super().get_urls(),
        ]

    def run_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if kind not in SWEEP_KINDS:
            raise Http404("no such sweep")
        (run,) = queue_runs(self, request, [kind], dry_run=request.POST.get("dry_run") == "1")
        return HttpResponseRedirect(reverse("admin:provisioning_jobrun_change", args=[run.pk]))

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[SweepSettings]) -> None:
        queue_runs(self, request, list(queryset.values_list("kind", flat=True)), dry_run=False)

    @admin.action(description="Dry run (report only, change nothing)")
    def dry_run(self, request: HttpRequest, queryset: QuerySet[SweepSettings]) -> None:
        queue_runs(self, request, list(queryset.values_list("kind", flat=True)), dry_run=True)
