"""Admin for who teaches which course: assigned and unassigned through the instructors service, audited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from courses.models import CourseInstructor
from courses.services.instructors import assign_instructor, unassign_instructor
from lms_identity.services.audit import Actor


@admin.register(CourseInstructor)
class CourseInstructorAdmin(ModelAdmin):
    list_display = ("course", "user", "created_at")
    list_select_related = ("course", "user")
    autocomplete_fields = ("user",)
    fields = ("course", "user")
    search_fields = ("course__title", "user__user_name")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: CourseInstructor, form: Any, change: bool) -> None:
        link = assign_instructor(obj.course, obj.user, actor=Actor.of_admin(request.user))
        obj.pk = link.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: CourseInstructor) -> None:
        unassign_instructor(obj.course, obj.user, actor=Actor.of_admin(request.user))
