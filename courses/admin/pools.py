"""The license pool pages: seats, who holds them and how full each pool is."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from courses.console_queries import bar_level, pool_overview
from courses.errors import InvalidInput
from courses.models import Grant, GrantState, LicensePool
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
    list_display = ("product", "seat_count", "seats_used", "utilization", "grace_days")
    readonly_fields = ("alert_level",)
    change_form_outer_after_template = "admin/courses/licensepool/pool_page.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[LicensePool]:
        held = (
            Grant.objects.filter(pool=OuterRef("pk"), target_type="seat", state=GrantState.ACTIVE)
            .values("pool")
            .annotate(n=Count("id"))
            .values("n")
        )
        return super().get_queryset(request).annotate(n_held=Coalesce(Subquery(held), 0))

    @admin.display(description="Seats in use", ordering="n_held")
    def seats_used(self, obj: Any) -> int:
        return int(obj.n_held)

    @admin.display(description="Utilization")
    def utilization(self, obj: Any) -> str:
        if not obj.seat_count:
            return "—"
        percent = round(100 * obj.n_held / obj.seat_count)
        return format_html(
            '<div class="console-bar {}" title="{} %"><span style="width:{}%"></span></div> {} %',
            bar_level(percent),
            percent,
            min(percent, 100),
            percent,
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        pool = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if pool is not None:
            extra.update(pool=pool, overview=pool_overview(pool))
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request: HttpRequest, obj: LicensePool, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        try:
            if change:
                update_pool(obj, actor=actor, changes={f: form.cleaned_data[f] for f in form.changed_data})
            else:
                obj.pk = create_pool(actor=actor, **form.cleaned_data).pk
        except InvalidInput as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
