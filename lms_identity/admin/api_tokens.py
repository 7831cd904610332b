"""Admin for admin-API tokens: issue one for a person (its key shown once, on the page that answers the
form, never in a message or cookie), see who holds which, revoke."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from unfold.admin import ModelAdmin

from lms_identity.errors import InvalidValue
from lms_identity.models import ApiToken
from lms_identity.services.api_tokens import can_hold_api_token, issue_api_token, revoke_api_token
from lms_identity.services.audit import Actor

ISSUE_FIELDS = ("user", "label")
SHOWN_FIELDS = ("user", "hint", "label", "created_at", "last_used_at", "revoked_at")


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "label")

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if user is not None and not can_hold_api_token(user):
            raise forms.ValidationError("This person has no admin access, so the API would refuse a token.")
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    form = ApiTokenForm
    list_display = ("hint", "user", "label", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = ("revoked_at",)
    search_fields = ("user__user_name", "label", "hint")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return ISSUE_FIELDS if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return () if obj is None else SHOWN_FIELDS

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return  # every field of an issued token is read-only
        try:
            token, raw = issue_api_token(obj.user, actor=Actor.of_admin(request.user), label=obj.label)
        except InvalidValue as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk, obj.hint, obj.issued_key = token.pk, token.hint, raw  # type: ignore[attr-defined]
        obj._state.adding = False

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        raw = getattr(obj, "issued_key", None)
        if raw is None:  # refused; the reason is in the messages
            return HttpResponseRedirect(reverse("admin:lms_identity_apitoken_changelist"))
        # The key exists only in this response: not in a message (cookie storage is signed, not encrypted)
        # and not in any cache.
        response = TemplateResponse(
            request,
            "admin/lms_identity/apitoken/issued.html",
            {**self.admin_site.each_context(request), "token": obj, "key": raw, "opts": self.opts},
        )
        add_never_cache_headers(response)
        return response

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if obj.pk is None:
            return None
        return super().log_addition(request, obj, message)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = sum(revoke_api_token(t, actor=Actor.of_admin(request.user)) for t in queryset)
        self.message_user(request, f"Revoked {count} token(s).")
