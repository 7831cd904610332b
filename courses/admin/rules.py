"""The entitlement rule pages: who gets what, previewed before saving."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from courses.errors import InvalidInput
from courses.models import (
    EntitlementRule,
    Grant,
    GrantState,
)
from courses.services.rules import build_rule, create_rule, delete_rule, preview_rule, update_rule
from lms_identity.models import Group
from lms_identity.services.audit import Actor

from .summaries import TARGET_FIELD, form_error, summary_text


class EntitlementRuleForm(forms.ModelForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("groups", is_stacked=False),
        help_text="People in any of these groups (from SCIM, the SSO groups claim, or manual) match.",
    )
    conditions = forms.JSONField(
        required=False,
        initial=list,
        help_text="Every condition must match, e.g. "
        '[{"attribute": "department", "values": ["Engineering"]}]. '
        "Attributes: department, title, division, organization, cost_center, custom_attributes.<name>.",
    )

    class Meta:
        model = EntitlementRule
        fields = [
            "name",
            "enabled",
            "groups",
            "conditions",
            "hire_within_days",
            "target_type",
            "course",
            "path",
            "role",
            "pool",
            "removal_policy",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preview: dict[str, Any] | None = None
        self.rule_data: dict[str, Any] = {}
        if self.instance.pk:
            self.fields["groups"].initial = list(self.instance.groups.all())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        target_type = data.get("target_type", "")
        self.rule_data = {
            "name": data.get("name", ""),
            "enabled": bool(data.get("enabled")),
            "groups": [g.pk for g in data.get("groups") or []],
            "conditions": data.get("conditions") if data.get("conditions") is not None else [],
            "hire_within_days": data.get("hire_within_days"),
            "removal_policy": data.get("removal_policy", ""),
            "target_type": target_type,
            "target": data.get(TARGET_FIELD.get(target_type, ""), None),
        }
        try:
            draft, group_ids = build_rule(self.rule_data, self.instance if self.instance.pk else None)
        except InvalidInput as error:
            field = TARGET_FIELD.get(target_type) if error.field in ("target", "target_type") else error.field
            form_error(self, InvalidInput(field or "target_type", error.message))
            return data
        if "_preview" in self.data:
            self.preview = preview_rule(draft, group_ids)
            raise ValidationError("Preview only: nothing was saved. Press Save to apply the rule.")
        return data


@admin.register(EntitlementRule)
class EntitlementRuleAdmin(ModelAdmin):
    form = EntitlementRuleForm
    change_form_template = "courses/admin/rule_change_form.html"
    list_display = ("name", "enabled", "target_type", "target_name", "removal_policy", "live_grants")
    list_filter = ("enabled", "target_type", "removal_policy")
    search_fields = ("name",)
    list_select_related = ("course", "path", "role", "pool")
    actions = ["disable_rules"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        rows = Grant.objects.filter(origin="rule", state=GrantState.ACTIVE).values_list("origin_key")
        self._live = dict(rows.annotate(n=Count("id")).values_list("origin_key", "n"))
        return super().changelist_view(request, extra_context)

    @admin.display(description="Target")
    def target_name(self, obj: EntitlementRule) -> str:
        return str(obj.target)

    @admin.display(description="Active grants")
    def live_grants(self, obj: EntitlementRule) -> int:
        return getattr(self, "_live", {}).get(f"rule:{obj.pk}", 0)

    def save_model(self, request: HttpRequest, obj: EntitlementRule, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        if change:
            _, summary = update_rule(obj, form.rule_data, actor=actor)
        else:
            rule, summary = create_rule(form.rule_data, actor=actor)
            obj.pk = rule.pk
        self.message_user(request, summary_text(summary or {}))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service saved the groups with the rule."""

    def delete_model(self, request: HttpRequest, obj: EntitlementRule) -> None:
        self.message_user(request, summary_text(delete_rule(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EntitlementRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)

    @admin.action(description="Disable the selected rules (their removal policy applies)")
    def disable_rules(self, request: HttpRequest, queryset: QuerySet[EntitlementRule]) -> None:
        for rule in queryset:
            _, summary = update_rule(rule, {"enabled": False}, actor=Actor.of_admin(request.user))
            self.message_user(request, f"{rule}: {summary_text(summary or {})}")
