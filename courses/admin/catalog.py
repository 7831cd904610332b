"""The catalog pages: courses, learning paths, role templates and the HR role mapping. Saves go through
the services; a refusal is a form error, never a 500."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from courses.errors import InvalidInput
from courses.models import (
    Capability,
    Course,
    HrRoleMapping,
    LearningPath,
    PathCourse,
    RoleTemplate,
)
from courses.services.catalog import save_course, save_path, set_path_steps
from courses.services.roles import (
    add_hr_mapping,
    check_explicit_only,
    check_hr_mapping,
    remove_hr_mapping,
    save_role,
)
from lms_identity.services.audit import Actor

from .summaries import NoDeleteMixin, form_error, summary_text


@admin.register(Course)
class CourseAdmin(NoDeleteMixin, ModelAdmin):
    list_display = ("title", "slug", "published", "updated_at")
    list_filter = ("published",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        save_course(obj, actor=Actor.of_admin(request.user), changed=list(form.changed_data))


class PathCourseInline(TabularInline):
    model = PathCourse
    extra = 1
    fields = ("position", "course")
    ordering = ("position",)


@admin.register(LearningPath)
class LearningPathAdmin(NoDeleteMixin, ModelAdmin):
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
                form_error(self, error)
        return data


@admin.register(RoleTemplate)
class RoleTemplateAdmin(NoDeleteMixin, ModelAdmin):
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
                form_error(self, error)
        return data


@admin.register(HrRoleMapping)
class HrRoleMappingAdmin(ModelAdmin):
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
        self.message_user(request, summary_text(summary))

    def delete_model(self, request: HttpRequest, obj: HrRoleMapping) -> None:
        self.message_user(request, summary_text(remove_hr_mapping(obj, actor=Actor.of_admin(request.user))))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HrRoleMapping]) -> None:
        for mapping in queryset:
            self.delete_model(request, mapping)
