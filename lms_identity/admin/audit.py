"""The audit trail in the admin: read-only, searchable by person, actor, action, connection and time,
exported as CSV (streamed, constant memory), and verified against its hash chain."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from lms_identity.models import AuditChainHead, AuditCheckpoint, AuditEvent, IdpConnection
from lms_identity.models.audit import RECORDED_FIELDS
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_verify import verify_chain

from .read_only import ReadOnlyAdminMixin

# Links from a person's page and the export keep these as plain query-string lookups.
EXTRA_LOOKUPS = {
    "target_type",
    "target_id",
    "actor_type",
    "actor_id",
    "at__gte",
    "at__lt",
}
EXPORT_COLUMNS = ("seq", *RECORDED_FIELDS, "redacted", "chain_hash")
EXPORT_CHUNK = 2000
# A cell a spreadsheet would run as a formula (display names come from the IdPs).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ConnectionFilter(admin.SimpleListFilter):
    title = "connection"
    parameter_name = "connection"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (str(pk), name) for pk, name in IdpConnection.objects.order_by("name").values_list("pk", "name")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        value = self.value()
        return queryset.filter(connection_id=int(value)) if value and value.isdigit() else queryset


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_label", "connection_name", "seq")
    list_filter = ("action", "actor_type", ConnectionFilter, "redacted")
    list_select_related = ("connection",)
    search_fields = ("target_id", "target_label", "actor_id", "actor_label", "action")
    date_hierarchy = "at"
    show_full_result_count = False  # counting a million events on every page is the slow part
    change_list_template = "admin/lms_identity/auditevent/change_list.html"

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:  # type: ignore[override]
        return lookup in EXTRA_LOOKUPS or super().lookup_allowed(lookup, value, request)

    @admin.display(description="actor", ordering="actor_label")
    def actor(self, obj: AuditEvent) -> str:
        return format_html("{} <small>({})</small>", obj.actor_label or "-", obj.get_actor_type_display())

    @admin.display(description="connection", ordering="connection__name")
    def connection_name(self, obj: AuditEvent) -> str:
        return obj.connection.name if obj.connection else ""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "export/", self.admin_site.admin_view(self.export_csv), name="lms_identity_auditevent_export"
            ),
            path("verify/", self.admin_site.admin_view(self.verify), name="lms_identity_auditevent_verify"),
        ]
        return own + super().get_urls()

    def export_csv(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """The events the change list shows with the same filters and search, as CSV, streamed in chunks
        (constant memory for any size). The export itself is an audit event."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).values_list(*EXPORT_COLUMNS)
        record_event(
            Actor.of_admin(request.user), "audit.exported", context={"filters": request.GET.urlencode()}
        )
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(EXPORT_COLUMNS)
            for row in events.iterator(chunk_size=EXPORT_CHUNK):
                yield writer.writerow([_cell(value) for value in row])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response

    def verify(self, request: HttpRequest) -> HttpResponse:
        """GET: the chain head and the latest checkpoints. POST: walk the whole chain now and show the
        first broken or missing link, if any (the same check as `manage.py verify_audit`)."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Verify the audit trail",
            "head": AuditChainHead.objects.first(),
            "checkpoints": AuditCheckpoint.objects.all()[:10],
            "result": verify_chain() if request.method == "POST" else None,
        }
        return TemplateResponse(request, "admin/lms_identity/auditevent/verify.html", context)
