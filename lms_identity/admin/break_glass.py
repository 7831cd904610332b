"""Admin for break-glass requests: an L&D admin files one (reason, minutes), a second L&D admin signed in
through SSO approves it. Every field is read-only once filed; nothing is deleted (the trail of who asked
and who approved stays)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from lms_identity.errors import BreakGlassRefused
from lms_identity.models import BreakGlassRequest
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import approve_break_glass, request_break_glass
from lms_identity.sso import session_keys

SHOWN_FIELDS = (
    "reason",
    "minutes",
    "requested_by",
    "requested_at",
    "approved_by",
    "approved_at",
    "window_ends_at",
    "used_at",
    "closed_at",
)


class BreakGlassRequestForm(forms.ModelForm):
    class Meta:
        model = BreakGlassRequest
        fields = ("reason", "minutes")

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        if not 1 <= minutes <= settings.BREAK_GLASS_MAX_MINUTES:
            raise forms.ValidationError(f"Ask for 1 to {settings.BREAK_GLASS_MAX_MINUTES} minutes.")
        return int(minutes)


@admin.register(BreakGlassRequest)
class BreakGlassRequestAdmin(ModelAdmin):
    form = BreakGlassRequestForm
    list_display = ("__str__", "status", "requested_by", "approved_by", "window_ends_at", "used_at")
    list_select_related = ("requested_by", "approved_by")
    actions = ["approve"]

    def get_fields(self, request: HttpRequest, obj: BreakGlassRequest | None = None) -> Any:
        return ("reason", "minutes") if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: BreakGlassRequest | None = None) -> Any:
        return () if obj is None else SHOWN_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Status")
    def status(self, obj: BreakGlassRequest) -> str:
        return obj.status

    def save_model(self, request: HttpRequest, obj: BreakGlassRequest, form: Any, change: bool) -> None:
        if change:
            return  # a filed request is read-only
        filed = request_break_glass(
            requester=request.user,  # type: ignore[arg-type]
            reason=obj.reason,
            minutes=obj.minutes,
            actor=Actor.of_admin(request.user),
        )
        obj.pk = filed.pk
        obj._state.adding = False

    @admin.action(description="Approve the selected request (a second L&D admin, signed in with SSO)")
    def approve(self, request: HttpRequest, queryset: QuerySet[BreakGlassRequest]) -> None:
        via_sso = request.session.get(session_keys.CONNECTION) is not None
        for filed in queryset.order_by("pk"):
            try:
                approve_break_glass(
                    filed,
                    approver=request.user,  # type: ignore[arg-type]
                    signed_in_via_sso=via_sso,
                    actor=Actor.of_admin(request.user),
                )
            except BreakGlassRefused as refusal:
                self.message_user(request, f"{filed}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{filed} approved: the window is open now.")
