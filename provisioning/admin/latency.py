"""How fast leavers lose access: one row per leaver, with p50 / p99 over the list."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from unfold.admin import ModelAdmin

from provisioning.models import DeprovisioningLatency
from provisioning.services.latency import latency_summary


@admin.register(DeprovisioningLatency)
class DeprovisioningLatencyAdmin(ModelAdmin):
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
