"""Admin for the catalog, rules, roles, pools, grants and overrides. Saves go through the services; a
refusal is a form error, never a 500, and nothing is half-saved."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from lms_identity.models import Group
from lms_identity.services.audit import Actor

from .errors import InvalidInput
from .models import (
    Capability,
    Course,
    Enrollment,
    EntitlementRule,
    Grant,
    GrantState,
    HrRoleMapping,
    LearningPath,
    LicensePool,
    Override,
    PathCourse,
    RoleTemplate,
)
from .services.catalog import save_course, save_path, set_path_steps
from .services.overrides import remove_override, set_override, with_article
from .services.pools import create_pool, seats_in_use, update_pool
from .services.roles import (
    add_hr_mapping,
    check_explicit_only,
    check_hr_mapping,
    remove_hr_mapping,
    save_role,
)
from .services.rules import build_rule, create_rule, delete_rule, preview_rule, update_rule
from .targets import FIELDS, Origin, find_kind, rule_origin_key, target_key


def _summary(summary: dict[str, int]) -> str:
    if "deferred" in summary:
        return f"{summary['deferred']} people affected: a background worker is applying the change"
    changes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(summary.items()) if k != "people")
    return f"{summary.get('people', 0)} people reconciled" + (
        f": {changes}" if changes else ", nothing to change"
    )


def _form_error(form: forms.BaseForm, error: InvalidInput) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _target_field(target_type: str) -> str:
    kind = find_kind(target_type)
    return kind.field if kind is not None else ""


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("title", "slug", "published", "updated_at")
    list_filter = ("published",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        save_course(obj, actor=Actor.of_admin(request.user), changed=list(form.changed_data))


class PathCourseInline(admin.TabularInline):
    model = PathCourse
    extra = 1
    fields = ("position", "course")
    ordering = ("position",)


@admin.register(LearningPath)
class LearningPathAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("title", "slug", "published", "course_count")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [PathCourseInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LearningPath]:
        return super().get_queryset(request).annotate(n_courses=Count("steps"))

    @admin.display(description="Courses", ordering="n_courses")
    def course_count(self, obj: Any) -> int:
        return int(obj.n_courses)

    def save_model(self, request: HttpRequest, obj: LearningPath, form: Any, change: bool) -> None:
        save_path(obj, actor=Actor.of_admin(request.user), changed=list(form.changed_data))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The steps go through the service (locked, audited), in the positions the admin typed."""
        formset.save(commit=False)  # writes nothing; works out the admin history's change message
        rows = [r for r in formset.cleaned_data if r.get("course") and not r.get("DELETE")]
        steps = [r["course"] for r in sorted(rows, key=lambda r: r.get("position") or 0)]
        set_path_steps(form.instance, steps, actor=Actor.of_admin(request.user))


class RoleTemplateForm(forms.ModelForm):
    capabilities = forms.MultipleChoiceField(
        choices=Capability.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = RoleTemplate
        fields = ["slug", "name", "capabilities", "requires_explicit_rule"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("requires_explicit_rule") and self.instance.pk:
            try:
                check_explicit_only(
                    RoleTemplate(pk=self.instance.pk, name=self.instance.name, requires_explicit_rule=True)
                )
            except InvalidInput as error:
                _form_error(self, error)
        return data


@admin.register(RoleTemplate)
class RoleTemplateAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = RoleTemplateForm
    list_display = ("name", "slug", "capabilities", "requires_explicit_rule")

    def save_model(self, request: HttpRequest, obj: RoleTemplate, form: Any, change: bool) -> None:
        save_role(obj, actor=Actor.of_admin(request.user))


class HrRoleMappingForm(forms.ModelForm):
    class Meta:
        model = HrRoleMapping
        fields = ["attribute", "value", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                check_hr_mapping(data.get("attribute", ""), data.get("value"), data.get("role"))
            except InvalidInput as error:
                _form_error(self, error)
        return data


@admin.register(HrRoleMapping)
class HrRoleMappingAdmin(admin.ModelAdmin):
    """The HR mapping matrix: department, organization or division to role."""

    form = HrRoleMappingForm
    list_display = ("attribute", "value", "role")
    list_filter = ("attribute", "role")
    list_select_related = ("role",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: HrRoleMapping, form: Any, change: bool) -> None:
        mapping, summary = add_hr_mapping(
            actor=Actor.of_admin(request.user), attribute=obj.attribute, value=obj.value, role=obj.role
        )
        obj.pk = mapping.pk
        self.message_user(request, _summary(summary))

    def delete_model(self, request: HttpRequest, obj: HrRoleMapping) -> None:
        self.message_user(request, _summary(remove_hr_mapping(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HrRoleMapping]) -> None:
        for mapping in queryset:
            self.delete_model(request, mapping)


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
            "target": data.get(_target_field(target_type), None),
        }
        try:
            draft, group_ids = build_rule(self.rule_data, self.instance if self.instance.pk else None)
        except InvalidInput as error:
            field = _target_field(target_type) if error.field in ("target", "target_type") else error.field
            _form_error(self, InvalidInput(field or "target_type", error.message))
            return data
        if "_preview" in self.data:
            self.preview = preview_rule(draft, group_ids)
            raise ValidationError("Preview only: nothing was saved. Press Save to apply the rule.")
        return data


@admin.register(EntitlementRule)
class EntitlementRuleAdmin(admin.ModelAdmin):
    form = EntitlementRuleForm
    change_form_template = "courses/admin/rule_change_form.html"
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
        self.message_user(request, _summary(summary or {}))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service saved the groups with the rule."""

    def delete_model(self, request: HttpRequest, obj: EntitlementRule) -> None:
        self.message_user(request, _summary(delete_rule(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EntitlementRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)

    @admin.action(description="Disable the selected rules (their removal policy applies)")
    def disable_rules(self, request: HttpRequest, queryset: QuerySet[EntitlementRule]) -> None:
        for rule in queryset:
            _, summary = update_rule(rule, {"enabled": False}, actor=Actor.of_admin(request.user))
            self.message_user(request, f"{rule}: {_summary(summary or {})}")


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
class LicensePoolAdmin(NoDeleteMixin, admin.ModelAdmin):
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


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "target_type", "key", "origin", "rule", "state", "grace_until", "updated_at")
    list_filter = ("state", "origin", "target_type")
    search_fields = ("user__user_name", "user__display_name", "key")
    list_select_related = ("user", "rule")
    readonly_fields = [f.name for f in Grant._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ["user", "target_type", "course", "path", "role", "pool", "effect", "expires_at", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target_type = data.get("target_type", "")
        target = data.get(_target_field(target_type), None)
        if target is None:
            self.add_error(_target_field(target_type) or "target_type", "choose the target of the override")
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
class OverrideAdmin(admin.ModelAdmin):
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
        self.message_user(request, _summary(summary))

    def delete_model(self, request: HttpRequest, obj: Override) -> None:
        self.message_user(request, _summary(remove_override(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Override]) -> None:
        for override in queryset:
            self.delete_model(request, override)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "progress", "started_at", "completed_at")
    list_filter = ("progress",)
    search_fields = ("user__user_name", "course__title")
    list_select_related = ("user", "course")
    readonly_fields = ("user", "course", "progress", "started_at", "completed_at", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Who teaches which course.
from . import admin_instructors  # noqa: E402, F401, I001
