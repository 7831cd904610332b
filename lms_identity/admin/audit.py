"""The audit trail, read-only: who did what to whom, and what changed."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from lms_identity.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ModelAdmin):
    list_display = ("at", "actor_type", "actor_label", "action", "target_type", "target_label")
    list_filter = ("action", "actor_type")
    search_fields = ("target_id", "target_label", "actor_label")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
