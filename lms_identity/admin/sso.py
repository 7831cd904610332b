"""Admin for OpenID Connect sign-in: each connection's settings (the client secret is write-only), the
URLs to register at the IdP, the groups-claim mapping, subject links and logins (read-only)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from lms_identity.errors import InvalidValue
from lms_identity.models import GroupClaimMapping, LoginRecord, OidcConfig, SubjectLink
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import (
    SETTABLE,
    SETTABLE_FIELDS,
    IdpUnavailable,
    configure_oidc,
    get_metadata,
    map_group_claim,
    sso_urls,
    unmap_group_claim,
)

from .read_only import ReadOnlyAdminMixin


class OidcConfigForm(forms.ModelForm):
    issuer = forms.URLField(max_length=500, assume_scheme="https", help_text="Exactly as the IdP's `iss`.")
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave empty to keep the stored secret. It is never shown again.",
    )

    class Meta:
        model = OidcConfig
        fields = ("connection", *SETTABLE_FIELDS)


@admin.register(OidcConfig)
class OidcConfigAdmin(ModelAdmin):
    form = OidcConfigForm
    list_display = (
        "connection",
        "issuer",
        "client_id",
        "jit_policy",
        "mfa_policy",
        "is_demo",
        "keys_fetched",
    )
    list_select_related = ("connection",)
    list_filter = ("jit_policy", "mfa_policy")
    search_fields = ("connection__slug", "issuer", "client_id")
    readonly_fields = ("urls_to_register", "metadata_fetched_at", "jwks_fetched_at")
    actions = ["refresh_metadata"]

    @admin.display(description="Demo", boolean=True, ordering="connection__is_demo")
    def is_demo(self, obj: OidcConfig) -> bool:
        return obj.connection.is_demo

    @admin.display(description="Keys fetched", ordering="jwks_fetched_at")
    def keys_fetched(self, obj: OidcConfig) -> Any:
        return obj.jwks_fetched_at or "-"

    @admin.display(description="Register these at the IdP")
    def urls_to_register(self, obj: OidcConfig) -> str:
        if obj.pk is None:
            return "Shown once saved."
        rows = ((name.replace("_", " "), url) for name, url in sso_urls(obj.connection).items())
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td><code>{}</code></td></tr>", rows)
        )

    def save_model(self, request: HttpRequest, obj: OidcConfig, form: Any, change: bool) -> None:
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in SETTABLE}
        if not changes.get("client_secret"):
            changes.pop("client_secret", None)
        if not change:
            changes.update({"issuer": obj.issuer, "client_id": obj.client_id})
        try:
            configure_oidc(obj.connection, actor=Actor.of_admin(request.user), changes=changes)
        except InvalidValue as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = OidcConfig.objects.get(connection=obj.connection).pk

    @admin.action(description="Refresh the IdP's metadata now")
    def refresh_metadata(self, request: HttpRequest, queryset: QuerySet[OidcConfig]) -> None:
        for config in queryset.select_related("connection"):
            try:
                get_metadata(config, refresh=True)
                self.message_user(request, f"{config.connection.slug}: metadata refreshed.")
            except IdpUnavailable as exc:
                self.message_user(request, f"{config.connection.slug}: {exc}", messages.ERROR)


@admin.register(GroupClaimMapping)
class GroupClaimMappingAdmin(ModelAdmin):
    list_display = ("connection", "claim_value", "group")
    list_select_related = ("connection", "group")
    list_filter = ("connection",)
    search_fields = ("claim_value", "group__display_name")
    autocomplete_fields = ("group",)

    def save_model(self, request: HttpRequest, obj: GroupClaimMapping, form: Any, change: bool) -> None:
        try:
            map_group_claim(obj.connection, obj.claim_value, obj.group, actor=Actor.of_admin(request.user))
        except InvalidValue as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = GroupClaimMapping.objects.get(
            connection=obj.connection, claim_value=obj.claim_value.strip()
        ).pk

    def delete_model(self, request: HttpRequest, obj: GroupClaimMapping) -> None:
        unmap_group_claim(obj, actor=Actor.of_admin(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupClaimMapping]) -> None:
        for mapping in queryset:
            unmap_group_claim(mapping, actor=Actor.of_admin(request.user))


class ReadOnlyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Sign-ins and subject links are records of what happened at sign-in."""


@admin.register(SubjectLink)
class SubjectLinkAdmin(ReadOnlyAdmin):
    list_display = ("sub", "connection", "user", "created_at", "last_login_at")
    list_select_related = ("connection", "user")
    list_filter = ("connection",)
    search_fields = ("sub", "user__user_name")


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "connection", "mfa_evidenced", "acr")
    list_select_related = ("connection", "user")
    list_filter = ("mfa_evidenced", "connection")
    search_fields = ("user__user_name", "user__display_name")
    date_hierarchy = "at"
