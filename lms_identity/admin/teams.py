"""The Teams pages. Teams from the IdP (SCIM, the SSO groups claim) are read-only and cannot be deleted:
the IdP is the source of truth. Manual teams are created, edited and deleted here, through services."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from lms_identity.models import Group, User
from lms_identity.models.groups import GroupSource
from lms_identity.queries.teams import team_members
from lms_identity.services.audit import Actor
from lms_identity.services.groups import create_group, delete_group, replace_group_members, update_group


class ManualGroupForm(forms.ModelForm):
    """A team an admin owns (source manual): its name and members are edited here, through services."""

    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.not_deleted(),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text="Only people of the team's connection can be members.",
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
            self.add_error("display_name", "a team with this name exists in that connection")
        strangers = [
            u for u in data.get("members") or [] if u.connection_id != getattr(connection, "pk", None)
        ]
        if strangers:
            self.add_error("members", f"{strangers[0]} belongs to another connection")
        return data


@admin.register(Group)
class GroupAdmin(ModelAdmin):
    list_display = ("display_name", "connection", "source", "member_count", "updated_at")
    list_select_related = ("connection",)
    list_filter = ("source", "connection")
    search_fields = ("display_name", "external_id")
    form = ManualGroupForm
    change_form_outer_after_template = "admin/lms_identity/group/members.html"
    readonly_fields = (
        "connection",
        "source",
        "display_name",
        "external_id",
        "created_at",
        "updated_at",
        "version",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(n_members=Count("memberships__user", distinct=True))

    @admin.display(description="Members", ordering="n_members")
    def member_count(self, group: Any) -> str:
        return format_html("{}", group.n_members)

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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source != GroupSource.MANUAL:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a list may mix IdP teams in; delete manual ones one by one
        return actions

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        group = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if group is not None:
            extra.update(
                team=group,
                members=team_members(
                    group, search=request.GET.get("member_q", ""), page=request.GET.get("member_page", 1)
                ),
                idp_owned=group.source != GroupSource.MANUAL,
            )
        return super().change_view(request, object_id, form_url, extra)

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

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        delete_group(obj, actor=Actor.of_admin(request.user))
