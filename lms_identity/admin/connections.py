"""The Connections pages: for each IdP, the SCIM base URL to copy, its SCIM tokens (issue, rotate with
overlap, revoke), the OpenID Connect URLs to register, a discovery test and health.

A new token's only plain-text copy is rendered into the response of the POST that issued it, with
`Cache-Control: no-store`; it is never put in a message, because Django's cookie message storage is
signed, not encrypted."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from lms_identity.errors import InvalidValue
from lms_identity.models import IdpConnection, ScimToken
from lms_identity.queries.connections import connection_overview, find_oidc_config
from lms_identity.services.audit import Actor
from lms_identity.services.connections import update_connection, upsert_connection
from lms_identity.services.oidc_config import IdpUnavailable, get_metadata
from lms_identity.services.tokens import (
    issue_scim_token,
    revoke_scim_token,
    rotate_scim_token,
    rotation_overlap,
)

TOKEN_LABEL_MAX = 100
# Issuing, rotating and revoking SCIM tokens: apart from changing the connection itself (its sign-in
# settings and client secret), so a role may look after the tokens without them.
TOKEN_PERMISSIONS = ("lms_identity.add_scimtoken", "lms_identity.change_scimtoken")


@admin.register(IdpConnection)
class IdpConnectionAdmin(ModelAdmin):
    list_display = ("name", "slug", "enabled", "adopt_existing_accounts", "is_demo", "created_at")
    search_fields = ("slug", "name")
    fields = ("slug", "name", "enabled", "adopt_existing_accounts", "is_demo")
    readonly_fields = ("is_demo",)
    change_form_outer_after_template = "admin/lms_identity/idpconnection/connection_page.html"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people and teams point at it; switch it off (Enabled) instead

    def save_model(self, request: HttpRequest, obj: IdpConnection, form: Any, change: bool) -> None:
        actor = Actor.of_admin(request.user)
        changes = {
            f: form.cleaned_data[f] for f in form.changed_data if f in ("enabled", "adopt_existing_accounts")
        }
        if change:
            changes["name"] = form.cleaned_data["name"]
            update_connection(obj, actor=actor, changes=changes)
            return
        created, _ = upsert_connection(form.cleaned_data["slug"], actor=actor, name=form.cleaned_data["name"])
        update_connection(created, actor=actor, changes=changes)
        obj.pk = created.pk

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The slug is in the URLs registered at the IdP: changing it would break them.
        return ("slug", "is_demo") if obj is not None else ("is_demo",)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        connection = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if connection is not None:
            extra.update(connection=connection, **connection_overview(connection))
            extra["can_manage"] = self.has_change_permission(request, connection)
            extra["can_manage_tokens"] = request.user.has_perms(TOKEN_PERMISSIONS)
            extra["can_edit_oidc"] = request.user.has_perm("lms_identity.change_oidcconfig")
            extra["rotation_overlap_hours"] = int(rotation_overlap().total_seconds() // 3600)
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        def view(name: str, func: Any) -> URLPattern:
            return path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(require_POST(func)),
                name=f"lms_identity_idpconnection_{name.replace('-', '_')}",
            )

        return [
            view("issue-token", self.issue_token_view),
            view("rotate-token", self.rotate_token_view),
            view("revoke-token", self.revoke_token_view),
            view("test-discovery", self.test_discovery_view),
            *super().get_urls(),
        ]

    def _connection(self, request: HttpRequest, pk: int) -> IdpConnection:
        connection = get_object_or_404(IdpConnection, pk=pk)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        return connection

    def _connection_for_tokens(self, request: HttpRequest, pk: int) -> IdpConnection:
        connection = get_object_or_404(IdpConnection, pk=pk)
        if not request.user.has_perms(TOKEN_PERMISSIONS):
            raise PermissionDenied
        return connection

    def _back(self, connection: IdpConnection) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:lms_identity_idpconnection_change", args=[connection.pk]))

    def _shown_once(
        self, request: HttpRequest, connection: IdpConnection, token: ScimToken, raw: str, **extra: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"New SCIM token for {connection}",
            "opts": self.opts,
            "connection": connection,
            "token": token,
            "raw_token": raw,
            **extra,
        }
        response = TemplateResponse(request, "admin/lms_identity/idpconnection/token_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def issue_token_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = self._connection_for_tokens(request, pk)
        label = request.POST.get("label", "").strip()[:TOKEN_LABEL_MAX] or "admin"
        token, raw = issue_scim_token(connection, actor=Actor.of_admin(request.user), label=label)
        return self._shown_once(request, connection, token, raw)

    def rotate_token_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Issue a successor; the old token keeps working for the rotation overlap, then stops."""
        connection = self._connection_for_tokens(request, pk)
        old = get_object_or_404(ScimToken, pk=request.POST.get("token"), connection=connection)
        label = f"rotates {old.hint}…"[:TOKEN_LABEL_MAX]
        try:
            token, raw, old = rotate_scim_token(old, actor=Actor.of_admin(request.user), label=label)
        except InvalidValue as exc:
            self.message_user(request, f"Token {old.hint}… was not rotated: {exc}", messages.ERROR)
            return self._back(connection)
        return self._shown_once(request, connection, token, raw, rotated=old)

    def revoke_token_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = self._connection_for_tokens(request, pk)
        token = get_object_or_404(ScimToken, pk=request.POST.get("token"), connection=connection)
        if revoke_scim_token(token, actor=Actor.of_admin(request.user)):
            self.message_user(request, f"Token {token.hint}… revoked: the IdP can no longer use it.")
        else:
            self.message_user(request, f"Token {token.hint}… was already revoked.", messages.WARNING)
        return self._back(connection)

    def test_discovery_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = self._connection(request, pk)
        config = find_oidc_config(connection)
        if config is None:
            self.message_user(request, "This connection has no OpenID Connect settings.", messages.WARNING)
            return self._back(connection)
        try:
            metadata = get_metadata(config, refresh=True)
        except IdpUnavailable as exc:
            self.message_user(request, f"Discovery failed: {exc}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Discovery works: {config.issuer} publishes its endpoints "
                f"(authorization: {metadata['authorization_endpoint']}).",
                messages.SUCCESS,
            )
        return self._back(connection)


@admin.register(ScimToken)
class ScimTokenAdmin(ModelAdmin):
    list_display = ("hint", "connection", "label", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("connection",)
    list_filter = ("connection",)
    readonly_fields = ("connection", "hint", "created_at", "last_used_at", "expires_at", "revoked_at")
    fields = ("connection", "hint", "label", "created_at", "last_used_at", "expires_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued on the connection page, where it is shown once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay listed: the audit trail names them

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ScimToken]) -> None:
        count = sum(revoke_scim_token(t, actor=Actor.of_admin(request.user)) for t in queryset)
        self.message_user(request, f"Revoked {count} token(s).")
