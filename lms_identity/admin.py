"""Admin for the identity core. Fields the IdP owns are read-only; changes go through services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest

from .idp_attributes import IDP_FIELDS
from .models import AuditEvent, Group, IdpConnection, Membership, ScimToken, User
from .models.groups import GroupSource
from .services.audit import Actor
from .services.connections import SETTABLE as CONNECTION_SETTABLE
from .services.connections import update_connection, upsert_connection
from .services.groups import create_group, replace_group_members, update_group
from .services.lockout import deactivate_user, reactivate_user
from .services.tokens import issue_scim_token, revoke_scim_token

# Read-only here: what the IdP owns (one declaration, idp_attributes) and what the services keep.
IDP_OWNED_USER_FIELDS = (
    "connection",
    "source",
    *IDP_FIELDS,
    "pending_manager_ref",
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
    list_display = ("slug", "name", "enabled", "adopt_existing_accounts", "is_demo", "created_at")
    search_fields = ("slug", "name")
    inlines = [ScimTokenInline]
    actions = ["issue_token"]

    def save_model(self, request: HttpRequest, obj: IdpConnection, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        if not change:
            created, _ = upsert_connection(obj.slug, actor=actor, name=obj.name)
            obj.pk = created.pk
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in CONNECTION_SETTABLE}
        update_connection(obj, actor=actor, changes=changes)
        obj.refresh_from_db()

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


class ManualGroupForm(forms.ModelForm):
    """A group an admin owns (source manual): its name and members are edited here, through services."""

    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.not_deleted(),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text="Only people of the group's connection can be members.",
    )

    class Meta:
        model = Group
        fields = ["connection", "display_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(
                User.objects.filter(memberships__group=self.instance, memberships__source=GroupSource.MANUAL)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        connection = data.get("connection", self.instance.connection if self.instance.pk else None)
        name = data.get("display_name", "")
        clash = Group.objects.filter(connection=connection, display_name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if name and clash.exists():
            self.add_error("display_name", "a group with this name exists in that connection")
        strangers = [
            u for u in data.get("members") or [] if u.connection_id != getattr(connection, "pk", None)
        ]
        if strangers:
            self.add_error("members", f"{strangers[0]} belongs to another connection")
        return data


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    """Groups from the IdP (SCIM, the SSO groups claim) are read-only: the IdP is the source of truth.
    Manual groups are created and edited here."""

    list_display = ("display_name", "connection", "source", "external_id", "updated_at")
    list_select_related = ("connection",)
    list_filter = ("source", "connection")
    search_fields = ("display_name", "external_id")
    form = ManualGroupForm
    readonly_fields = (
        "connection",
        "source",
        "display_name",
        "external_id",
        "created_at",
        "updated_at",
        "version",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if obj.source == GroupSource.MANUAL:
            return ("connection", "source", "created_at", "updated_at", "version")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("connection", "display_name", "members")
        if obj.source == GroupSource.MANUAL:
            return ("connection", "source", "display_name", "members", "created_at", "updated_at", "version")
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source != GroupSource.MANUAL:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        if change:
            update_group(obj, actor=actor, changes={"display_name": form.cleaned_data["display_name"]})
        else:
            created = create_group(
                connection=form.cleaned_data.get("connection"),
                actor=actor,
                display_name=form.cleaned_data["display_name"],
                source=GroupSource.MANUAL,
            )
            obj.pk = created.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group = Group.objects.get(pk=form.instance.pk)
        members = [u.pk for u in form.cleaned_data.get("members") or []]
        replace_group_members(group, members, actor=Actor.of_admin(request.user), source=GroupSource.MANUAL)


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
from . import admin_sso  # noqa: E402, F401, I001

# Admin API tokens: issued once, hashed, revocable.
from . import admin_api_tokens  # noqa: E402, F401, I001
from . import admin_break_glass  # noqa: E402, F401, I001
