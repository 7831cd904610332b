"""Alerts (failed jobs, the safety brake, a stuck outbox, full license pools): open ones are a banner
on every admin page until resolved."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from lms_identity.services.audit import Actor
from provisioning.models import Alert
from provisioning.services.alerts import acknowledge_alert


@admin.register(Alert)
class AlertAdmin(ModelAdmin):
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
        actor = Actor.of_admin(request.user)
        closed = sum(acknowledge_alert(alert, actor=actor) for alert in queryset)
        self.message_user(request, f"{closed} alert(s) resolved.", messages.SUCCESS)
