"""Grants (read-only: the reconciler writes them), overrides (through the service) and enrollments."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from courses.console_queries import origin_label
from courses.errors import InvalidInput
from courses.models import (
    Enrollment,
    Grant,
    Override,
)
from courses.services.overrides import remove_override, set_override, with_article
from courses.targets import target_key
from lms_identity.admin.read_only import ReadOnlyAdminMixin
from lms_identity.services.audit import Actor

from .summaries import summary_text, target_field


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("user", "target_title", "target_type", "why", "state", "grace_until", "updated_at")
    list_filter = ("state", "origin", "target_type")
    search_fields = ("user__user_name", "user__display_name", "key")
    list_select_related = ("user", "rule", "course", "path", "role", "pool")
    readonly_fields = [f.name for f in Grant._meta.fields]

    @admin.display(description="What", ordering="key")
    def target_title(self, grant: Grant) -> str:
        return str(grant.target or grant.key)

    @admin.display(description="Why", ordering="origin_key")
    def why(self, grant: Grant) -> str:
        return origin_label(grant)


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ["user", "target_type", "course", "path", "role", "pool", "effect", "expires_at", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target_type = data.get("target_type", "")
        target = data.get(target_field(target_type), None)
        if target is None:
            self.add_error(target_field(target_type) or "target_type", "choose the target of the override")
            return data
        user = data.get("user")
        existing = Override.objects.filter(user=user, key=target_key(target_type, target.pk)).first()
        if existing is not None and existing.pk != self.instance.pk and existing.effect != data.get("effect"):
            self.add_error(
                "effect",
                f"{user} already has {with_article(existing.effect)} override for {target}; "
                f"remove it before adding {with_article(str(data.get('effect')))}",
            )
        self.target = target
        return data

    def validate_unique(self) -> None:
        """The service decides: the same override again updates it, the opposite one is refused above."""


@admin.register(Override)
class OverrideAdmin(ModelAdmin):
    form = OverrideForm
    list_display = ("user", "effect", "target_type", "key", "expires_at", "reason", "created_by")
    list_filter = ("effect", "target_type")
    search_fields = ("user__user_name", "user__display_name", "reason")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Override, form: Any, change: bool) -> None:
        try:
            override, summary = set_override(
                form.cleaned_data["user"],
                actor=Actor.of_admin(request.user),
                target_type=form.cleaned_data["target_type"],
                target=form.target,
                effect=form.cleaned_data["effect"],
                expires_at=form.cleaned_data["expires_at"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return
        obj.pk = override.pk
        self.message_user(request, summary_text(summary))

    def delete_model(self, request: HttpRequest, obj: Override) -> None:
        self.message_user(request, summary_text(remove_override(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Override]) -> None:
        for override in queryset:
            self.delete_model(request, override)


@admin.register(Enrollment)
class EnrollmentAdmin(ModelAdmin):
    list_display = ("user", "course", "progress", "started_at", "completed_at")
    list_filter = ("progress",)
    search_fields = ("user__user_name", "course__title")
    list_select_related = ("user", "course")
    readonly_fields = ("user", "course", "progress", "started_at", "completed_at", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
