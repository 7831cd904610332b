"""The license pool pages: seats, who holds them and how full each pool is."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from courses.errors import InvalidInput
from courses.models import (
    LicensePool,
)
from courses.services.pools import create_pool, seats_in_use, update_pool
from lms_identity.services.audit import Actor

from .summaries import NoDeleteMixin


class LicensePoolForm(forms.ModelForm):
    class Meta:
        model = LicensePool
        fields = ["product", "seat_count", "grace_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and data.get("seat_count") is not None:
            used = seats_in_use([self.instance.pk]).get(self.instance.pk, 0)
            if data["seat_count"] < used:
                self.add_error("seat_count", f"{used} seats are in use; the seat count cannot go below that")
        return data


@admin.register(LicensePool)
class LicensePoolAdmin(NoDeleteMixin, ModelAdmin):
    form = LicensePoolForm
    list_display = ("product", "seat_count", "seats_used", "utilization", "grace_days", "alert_level")
    readonly_fields = ("alert_level",)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        self._usage = seats_in_use(LicensePool.objects.values_list("pk", flat=True))
        return super().changelist_view(request, extra_context)

    @admin.display(description="Seats in use")
    def seats_used(self, obj: LicensePool) -> int:
        return getattr(self, "_usage", {}).get(obj.pk, 0)

    @admin.display(description="Utilization")
    def utilization(self, obj: LicensePool) -> str:
        used = self.seats_used(obj)
        return f"{round(100 * used / obj.seat_count)} %" if obj.seat_count else "—"

    def save_model(self, request: HttpRequest, obj: LicensePool, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        try:
            if change:
                update_pool(obj, actor=actor, changes={f: form.cleaned_data[f] for f in form.changed_data})
            else:
                obj.pk = create_pool(actor=actor, **form.cleaned_data).pk
        except InvalidInput as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
