"""Admin for the identity core. Fields the IdP owns are read-only; changes go through services."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import AuditEvent, Group, IdpConnection, Membership, ScimToken, User
from .services.audit import Actor
from .services.tokens import issue_scim_token, revoke_scim_token
from .services.users import deactivate_user, reactivate_user

IDP_OWNED_USER_FIELDS = (
    "connection",
    "source",
    "external_id",
    "user_name",
    "email",
    "given_name",
    "family_name",
    "middle_name",
    "display_name",
    "nick_name",
    "title",
    "user_type",
    "preferred_language",
    "locale",
    "timezone",
    "employee_number",
    "cost_center",
    "organization",
    "division",
    "department",
    "manager",
    "pending_manager_ref",
    "hire_date",
    "custom_attributes",
    "is_active",
    "created_at",
    "updated_at",
    "deactivated_at",
    "deleted_at",
    "version",
    "last_login",
)


class ScimTokenInline(admin.TabularInline):
    model = ScimToken
    extra = 0
    can_delete = False
    fields = ("hint", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IdpConnection)
class IdpConnectionAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "enabled", "is_demo", "created_at")
    search_fields = ("slug", "name")
    inlines = [ScimTokenInline]
    actions = ["issue_token"]

    @admin.action(description="Issue a new SCIM token (shown once)")
    def issue_token(self, request: HttpRequest, queryset: QuerySet[IdpConnection]) -> None:
        for connection in queryset:
            _, raw = issue_scim_token(connection, actor=Actor.of_admin(request.user), label="admin")
            self.message_user(
                request,
                f"New SCIM token for {connection.slug} (copy it now, it is not shown again): {raw}",
                messages.WARNING,
            )


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "connection", "label", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("connection",)
    list_filter = ("connection",)
    readonly_fields = ("connection", "hint", "created_at", "last_used_at", "revoked_at")
    fields = ("connection", "hint", "label", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ScimToken]) -> None:
        count = sum(revoke_scim_token(t, actor=Actor.of_admin(request.user)) for t in queryset)
        self.message_user(request, f"Revoked {count} token(s).")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("group", "source", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("user_name", "display_name", "email", "connection", "source", "is_active", "department")
    list_select_related = ("connection",)
    list_filter = ("is_active", "source", "connection")
    search_fields = ("user_name", "email", "display_name", "external_id", "employee_number")
    readonly_fields = IDP_OWNED_USER_FIELDS
    fields = (*IDP_OWNED_USER_FIELDS, "is_staff")
    inlines = [MembershipInline]
    actions = ["deactivate", "reactivate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Deactivate (ends every session)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = Actor.of_admin(request.user)
        count = sum(deactivate_user(u, actor=actor, reason="admin action") for u in queryset)
        self.message_user(request, f"Deactivated {count} person(s).")

    @admin.action(description="Reactivate")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = Actor.of_admin(request.user)
        count = sum(reactivate_user(u, actor=actor) for u in queryset)
        self.message_user(request, f"Reactivated {count} person(s).")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("display_name", "connection", "source", "external_id", "updated_at")
    list_select_related = ("connection",)
    list_filter = ("source", "connection")
    search_fields = ("display_name", "external_id")
    readonly_fields = (
        "connection",
        "source",
        "display_name",
        "external_id",
        "created_at",
        "updated_at",
        "version",
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_type", "actor_label", "action", "target_type", "target_label")
    list_filter = ("action", "actor_type")
    search_fields = ("target_id", "target_label", "actor_label")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# OpenID Connect sign-in: settings, groups-claim mapping, subject links, logins.
from . import admin_sso  # noqa: E402, F401
