"""The People pages: who a person is, where they come from, what they may do and what happened to them.
Every field is read-only here (the IdP owns most of them, staff status follows the admin role grant);
changes are buttons that call services: deactivate, reactivate, end a session, end all sessions."""

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from lms_identity.errors import CleanupRefused
from lms_identity.idp_attributes import IDP_FIELDS
from lms_identity.models import MarkKind, User
from lms_identity.models.sessions import EndCause
from lms_identity.queries.people import is_idp_owned, person_origin, person_overview
from lms_identity.services.account_cleanup import clear_mark, mark_account
from lms_identity.services.audit import Actor
from lms_identity.services.lockout import deactivate_user, reactivate_user
from lms_identity.services.sessions import end_session_of, end_sessions_of

from .filters import TeamFilter
from .person_sections import person_sections

# What the IdP owns (one declaration, idp_attributes; its state field is shown under State).
IDP_OWNED_USER_FIELDS = (*(f for f in IDP_FIELDS if f != "is_active"), "pending_manager_ref")
STATE_FIELDS = (
    "is_active",
    "is_staff",
    "created_at",
    "updated_at",
    "deactivated_at",
    "deleted_at",
    "last_login",
)


def _shown(field: str) -> str:
    """The admin field that shows a model field (custom attributes as plain JSON text)."""
    return "custom_attributes_text" if field == "custom_attributes" else field


def source_badge(user: User) -> str:
    origin = person_origin(user)
    return format_html(
        '<span class="console-badge {}" data-source="{}">{}</span>', origin.kind, origin.kind, origin.label
    )


@admin.register(User)
class UserAdmin(ModelAdmin):
    list_display = ("display_name_or_user_name", "email", "source_badge", "is_active", "department")
    list_display_links = ("display_name_or_user_name",)
    list_select_related = ("connection",)
    list_filter = ("is_active", "source", "connection", TeamFilter)
    search_fields = ("user_name", "email", "display_name", "external_id", "employee_number")
    readonly_fields = (
        "connection",
        "source",
        *IDP_OWNED_USER_FIELDS,
        "custom_attributes_text",
        *STATE_FIELDS,
        "version",
    )
    change_form_outer_before_template = "admin/lms_identity/user/person_page.html"
    # A link to the clean-up import (provisioning's page, named by URL only).
    list_before_template = "admin/lms_identity/user/list_before.html"
    actions = ["deactivate", "reactivate", "keep_unmanaged", "clear_cleanup_mark"]
    list_per_page = 50

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        note = (
            "Owned by the IdP: the next SCIM sync overwrites these fields, so change them at the IdP."
            if obj is not None and is_idp_owned(obj)
            else "Read-only here: changes come from the IdP's sign-in claims or the API."
        )
        return (
            ("Source", {"fields": ("connection", "source", "external_id")}),
            (
                "Identity",
                {
                    "fields": tuple(_shown(f) for f in IDP_OWNED_USER_FIELDS[1:]),
                    "description": note,
                    "classes": ["collapse"],
                },
            ),
            ("State", {"fields": (*STATE_FIELDS, "version"), "classes": ["collapse"]}),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # The person page names the connection twice (source badge, origin): read it with the person.
        return super().get_queryset(request).select_related("connection")

    @admin.display(description="Custom attributes")
    def custom_attributes_text(self, user: User) -> str:
        # Plain JSON: the theme's highlighted rendering (Pygments) costs more than the rest of the field.
        return (
            json.dumps(user.custom_attributes, sort_keys=True, ensure_ascii=False)
            if user.custom_attributes
            else "—"
        )

    @admin.display(description="Name", ordering="display_name")
    def display_name_or_user_name(self, user: User) -> str:
        return str(user)

    @admin.display(description="Source", ordering="source")
    def source_badge(self, user: User) -> str:
        return source_badge(user)

    # Nobody is added or deleted here: people come from the IdP (or SSO); a leaver is deactivated.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_manage_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Deactivate, reactivate and end sessions: the model's change permission."""
        return super().has_change_permission(request, obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        user = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if user is not None:
            extra.update(
                person=user,
                overview=person_overview(user),
                sections=person_sections(user),
                source_badge=source_badge(user),
                can_manage=self.has_manage_permission(request, user),
            )
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        def view(name: str, func: Any) -> URLPattern:
            return path(
                f"<uuid:pk>/{name}/",
                self.admin_site.admin_view(require_POST(func)),
                name=f"lms_identity_user_{name.replace('-', '_')}",
            )

        return [
            view("deactivate", self.deactivate_view),
            view("reactivate", self.reactivate_view),
            view("end-session", self.end_session_view),
            view("end-all-sessions", self.end_all_sessions_view),
            *super().get_urls(),
        ]

    def _person(self, request: HttpRequest, pk: Any) -> User:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        return get_object_or_404(User, pk=pk)

    def _back(self, user: User) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:lms_identity_user_change", args=[user.pk]))

    def deactivate_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        user = self._person(request, pk)
        reason = request.POST.get("reason", "").strip()[:200] or "admin action"
        changed = deactivate_user(user, actor=Actor.of_admin(request.user), reason=reason)
        self.message_user(
            request, f"{user} deactivated; every session ended." if changed else "Already inactive."
        )
        return self._back(user)

    def reactivate_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        user = self._person(request, pk)
        changed = reactivate_user(user, actor=Actor.of_admin(request.user))
        self.message_user(request, f"{user} may sign in again." if changed else "Already active.")
        return self._back(user)

    def end_session_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        user = self._person(request, pk)
        key = request.POST.get("session_key", "")
        actor = Actor.of_admin(request.user)
        ended = end_session_of(user, key, cause=EndCause.ADMIN, actor=actor)
        self.message_user(
            request,
            "Session ended: that browser is signed out." if ended else "That session had already ended.",
            messages.SUCCESS if ended else messages.WARNING,
        )
        return self._back(user)

    def end_all_sessions_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        user = self._person(request, pk)
        ended = end_sessions_of(user, cause=EndCause.ADMIN, actor=Actor.of_admin(request.user))
        self.message_user(request, f"{ended} session(s) of {user} ended.")
        return self._back(user)

    @admin.action(description="Deactivate (ends every session)", permissions=["manage"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = Actor.of_admin(request.user)
        count = sum(deactivate_user(u, actor=actor, reason="admin action") for u in queryset)
        self.message_user(request, f"Deactivated {count} person(s).")

    @admin.action(description="Reactivate", permissions=["manage"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = Actor.of_admin(request.user)
        count = sum(reactivate_user(u, actor=actor) for u in queryset)
        self.message_user(request, f"Reactivated {count} person(s).")

    @admin.action(description="Keep unmanaged (no IdP adopts them)", permissions=["manage"])
    def keep_unmanaged(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor, marked, refused = Actor.of_admin(request.user), 0, []
        for person in queryset:
            try:
                marked += mark_account(person, kind=MarkKind.KEEP, actor=actor, note="admin action")
            except CleanupRefused as refusal:
                refused.append(refusal.message)
        self.message_user(request, f"Marked {marked} account(s) to keep unmanaged.")
        for message in refused[:10]:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Clear the clean-up mark", permissions=["manage"])
    def clear_cleanup_mark(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = Actor.of_admin(request.user)
        cleared = sum(clear_mark(person, actor=actor) for person in queryset)
        self.message_user(request, f"Cleared the mark of {cleared} account(s).")
