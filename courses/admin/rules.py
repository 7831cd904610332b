"""The entitlement rule pages: who gets what, previewed before saving."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from courses.errors import InvalidInput
from courses.matching import ATTRIBUTES, CUSTOM_PREFIX
from courses.models import (
    EntitlementRule,
    Grant,
    GrantState,
)
from courses.services.rules import build_rule, create_rule, delete_rule, preview_rule, update_rule
from courses.targets import FIELDS, KINDS, Origin, rule_origin_key
from lms_identity.models import Group
from lms_identity.services.audit import Actor

from .summaries import form_error, summary_text, target_field

CONDITION_ROWS = 4


def attribute_choices() -> list[tuple[str, str]]:
    """The attributes a condition may name: the built-in ones and the custom attributes IdPs may set."""
    builtin = [(a, a.replace("_", " ").capitalize()) for a in ATTRIBUTES]
    custom = [(f"{CUSTOM_PREFIX}{name}", f"Custom: {name}") for name in settings.SCIM_CUSTOM_ATTRIBUTES]
    return [("", "—"), *builtin, *custom]


class EntitlementRuleForm(forms.ModelForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("groups", is_stacked=False),
        help_text="People in any of these groups (from SCIM, the SSO groups claim, or manual) match.",
    )
    # Conditions are built from the rows below; this hidden JSON copy keeps a rule with more conditions
    # than rows intact, and lets a client post the list as JSON.
    conditions = forms.JSONField(required=False, initial=list, widget=forms.HiddenInput)

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
        existing = list(self.instance.conditions or []) if self.instance.pk else []
        for n in range(1, CONDITION_ROWS + 1):
            row = existing[n - 1] if len(existing) <= CONDITION_ROWS and n <= len(existing) else {}
            attribute = self.fields[f"condition_{n}_attribute"]
            attribute.choices = attribute_choices()  # type: ignore[attr-defined]
            self.initial.setdefault(f"condition_{n}_attribute", row.get("attribute", ""))
            self.initial.setdefault(f"condition_{n}_values", ", ".join(row.get("values", [])))
        # The rows hold the conditions unless there are more than the rows can show.
        self.initial["conditions"] = existing if len(existing) > CONDITION_ROWS else []
        if self.instance.pk:
            self.fields["groups"].initial = list(self.instance.groups.all())

    def condition_rows(self) -> list[dict[str, Any]]:
        rows = []
        for n in range(1, CONDITION_ROWS + 1):
            attribute = self.cleaned_data.get(f"condition_{n}_attribute") or ""
            values = [v.strip() for v in (self.cleaned_data.get(f"condition_{n}_values") or "").split(",")]
            if attribute:
                rows.append({"attribute": attribute, "values": [v for v in values if v]})
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        target_type = data.get("target_type", "")
        self.rule_data = {
            "name": data.get("name", ""),
            "enabled": bool(data.get("enabled")),
            "groups": [g.pk for g in data.get("groups") or []],
            "conditions": self.condition_rows() or data.get("conditions") or [],
            "hire_within_days": data.get("hire_within_days"),
            "removal_policy": data.get("removal_policy", ""),
            "target_type": target_type,
            "target": data.get(target_field(target_type), None),
        }
        try:
            draft, group_ids = build_rule(self.rule_data, self.instance if self.instance.pk else None)
        except InvalidInput as error:
            field = target_field(target_type) if error.field in ("target", "target_type") else error.field
            form_error(self, InvalidInput(field or "target_type", error.message))
            return data
        if "_preview" in self.data:
            self.preview = preview_rule(draft, group_ids)
            raise ValidationError("Preview only: nothing was saved. Press Save to apply the rule.")
        return data


def _declare_condition_rows() -> None:
    """The condition rows are ordinary declared fields (the admin lists them in its fieldsets)."""
    for n in range(1, CONDITION_ROWS + 1):
        for name, field in (
            (
                f"condition_{n}_attribute",
                forms.ChoiceField(
                    label=f"Condition {n}: attribute", required=False, widget=UnfoldAdminSelectWidget
                ),
            ),
            (
                f"condition_{n}_values",
                forms.CharField(
                    label="is one of",
                    required=False,
                    max_length=2000,
                    widget=UnfoldAdminTextInputWidget,
                    help_text="Comma-separated values, matched ignoring case." if n == 1 else "",
                ),
            ),
        ):
            EntitlementRuleForm.base_fields[name] = field
            EntitlementRuleForm.declared_fields[name] = field


_declare_condition_rows()


@admin.register(EntitlementRule)
class EntitlementRuleAdmin(ModelAdmin):
    form = EntitlementRuleForm
    change_form_template = "courses/admin/rule_change_form.html"
    # Only the picker of the chosen target type is shown (unfold's conditional fields, Alpine.js).
    conditional_fields = {kind.field: f"target_type == '{kind.target_type}'" for kind in KINDS.values()}

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        rows = [
            f"condition_{n}_{part}" for n in range(1, CONDITION_ROWS + 1) for part in ("attribute", "values")
        ]
        return (
            (None, {"fields": ("name", "enabled")}),
            (
                "Who: people in any of the groups, and matching every condition",
                {"fields": ("groups", *rows, "conditions", "hire_within_days")},
            ),
            ("What they get", {"fields": ("target_type", "course", "path", "role", "pool")}),
            ("When they stop matching", {"fields": ("removal_policy",)}),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "preview/",
                self.admin_site.admin_view(require_POST(self.preview_view)),
                name="courses_entitlementrule_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """The live preview: the rule as currently filled in, validated by the same form, never saved."""
        raw_id = request.POST.get("rule_id", "")
        rule = EntitlementRule.objects.filter(pk=int(raw_id)).first() if raw_id.isdigit() else None
        if not (self.has_change_permission(request, rule) if rule else self.has_add_permission(request)):
            return JsonResponse({"error": "forbidden"}, status=403)
        data = request.POST.copy()
        data["_preview"] = "1"
        form = self.get_form(request, rule)(data, instance=rule)
        form.is_valid()
        if form.preview is None:
            errors = "; ".join(
                f"{'' if f == '__all__' else f + ': '}{' '.join(e)}" for f, e in form.errors.items()
            )
            return JsonResponse({"html": "", "error": errors or "Fill in the rule to preview it."})
        html = render_to_string("courses/admin/rule_preview.html", {"preview": form.preview})
        return JsonResponse({"html": html, "error": ""})

    list_display = ("name", "enabled", "target_type", "target_name", "removal_policy", "live_grants")
    list_filter = ("enabled", "target_type", "removal_policy")
    search_fields = ("name",)
    list_select_related = FIELDS
    actions = ["disable_rules"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        rows = Grant.objects.filter(origin=Origin.RULE, state=GrantState.ACTIVE).values_list("origin_key")
        self._live = dict(rows.annotate(n=Count("id")).values_list("origin_key", "n"))
        return super().changelist_view(request, extra_context)

    @admin.display(description="Target")
    def target_name(self, obj: EntitlementRule) -> str:
        return str(obj.target)

    @admin.display(description="Active grants")
    def live_grants(self, obj: EntitlementRule) -> int:
        return getattr(self, "_live", {}).get(rule_origin_key(obj.pk), 0)

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
