"""The SCIM request log in the admin: per connection, the recent failures with the redacted request and
our answer. Read-only; rows come from the SCIM edge and leave by the purge task."""

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from lms_identity.admin.read_only import ReadOnlyAdminMixin
from provisioning.models import ScimRequest


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", "Failed (4xx, 5xx)"), ("succeeded", "Succeeded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ScimRequest]) -> QuerySet[ScimRequest]:
        if self.value() == "failed":
            return queryset.filter(status__gte=400)
        if self.value() == "succeeded":
            return queryset.filter(status__lt=400)
        return queryset


@admin.register(ScimRequest)
class ScimRequestAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("at", "connection", "method", "path", "status", "scim_type", "detail", "duration")
    list_filter = (OutcomeFilter, "connection", "method", "status")
    list_select_related = ("connection",)
    search_fields = ("request_id", "path")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = (
        "at",
        "connection",
        "request_id",
        "method",
        "path",
        "status",
        "scim_type",
        "detail",
        "duration",
        "redacted_request",
        "redacted_answer",
    )
    readonly_fields = fields

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, obj: ScimRequest) -> str:
        return f"{obj.duration_ms:.1f} ms"

    @admin.display(description="request (redacted)")
    def redacted_request(self, obj: ScimRequest) -> str:
        return _pretty(obj.request_body)

    @admin.display(description="our answer (redacted)")
    def redacted_answer(self, obj: ScimRequest) -> str:
        return _pretty(obj.response_body)


def _pretty(value: Any) -> str:
    if value is None:
        return "— (kept for failures only, or SCIM_REQUEST_LOG=all)"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))
