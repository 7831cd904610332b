"""/Groups: thin edges over lms_identity.services.groups."""

import uuid
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from lms_identity.errors import VersionMismatch
from lms_identity.models import Group, Membership
from lms_identity.models.groups import GroupSource
from lms_identity.services import groups as group_services

from ..adapters.groups import ScimGroupAdapter
from ..attribute_selection import Selection
from ..errors import not_found
from ..filters import GROUP_FIELDS
from ..schemas import PATCH_SCHEMA, SEARCH_SCHEMA
from .base import ScimView, json_response, resource_response
from .listing import list_response


def member_ids_by_group(group_ids: list[Any]) -> dict[Any, list[str]]:
    """The SCIM-provisioned members of these groups, in one query whatever the page size."""
    found: dict[Any, list[str]] = defaultdict(list)
    rows = (
        Membership.objects.filter(group_id__in=group_ids, source=GroupSource.SCIM)
        .order_by("group_id", "user_id")
        .values_list("group_id", "user_id")
    )
    for group_id, user_id in rows:
        found[group_id].append(str(user_id))
    return found


class GroupViewMixin(ScimView):
    def groups(self) -> Any:
        return Group.objects.filter(connection=self.connection)

    def get_group(self, group_id: str) -> Group:
        try:
            pk = uuid.UUID(group_id)
        except ValueError:
            raise not_found() from None
        group = self.groups().filter(pk=pk).first()
        if group is None:
            raise not_found()
        return group

    def render_many(self, groups: list[Group], selection: Selection) -> list[dict[str, Any]]:
        # With excludedAttributes=members (Entra's reads) the members are not even queried.
        members = member_ids_by_group([g.pk for g in groups]) if selection.wants("members") else None
        base = self.base_url()
        return [
            ScimGroupAdapter(
                g, self.request, base, members.get(g.pk, []) if members is not None else None
            ).to_dict()
            for g in groups
        ]

    def render(self, group: Group, *, status: int = 200, location: bool = False) -> HttpResponse:
        selection = self.selection()
        data = selection.apply(self.render_many([group], selection)[0])
        where = f"{self.base_url()}Groups/{group.pk}" if location else ""
        return resource_response(data, status=status, etag=group.etag, location=where, request=self.request)

    def list(self, params: Any) -> HttpResponse:
        selection = self.selection(params)
        data = list_response(
            self.groups(),
            params=params,
            fields=GROUP_FIELDS,
            selection=selection,
            render=lambda page: self.render_many(page, selection),
        )
        return json_response(data)

    def apply(self, group: Group, adapter: ScimGroupAdapter) -> None:
        """Hand the recorded changes to the services, all in one transaction (a PATCH is atomic)."""
        plan = adapter.plan
        if adapter.changes:
            group_services.update_group(group, actor=self.actor, changes=adapter.changes)
        if plan.replace is not None:
            group_services.replace_group_members(group, plan.replace, actor=self.actor)
        if plan.remove:
            group_services.remove_group_members(group, plan.remove, actor=self.actor)
        if plan.add:
            group_services.add_group_members(group, plan.add, actor=self.actor)

    def locked(self, group: Group) -> Group:
        """The group, locked for this transaction, after checking If-Match against it."""
        expected = self.expected_version()
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if expected is not None and locked.version != expected:
            raise VersionMismatch()
        return locked


class GroupsView(GroupViewMixin):
    http_method_names = ["get", "post", "put", "patch", "delete", "options"]

    def get(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.list(request.GET)
        return self.render(self.get_group(uuid))

    def post(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is not None:
            return self.http_method_not_allowed(request)
        adapter = ScimGroupAdapter(Group(), request, self.base_url())
        adapter.from_dict(self.json_object())
        with transaction.atomic():
            group = group_services.create_group(
                connection=self.connection,
                actor=self.actor,
                display_name=adapter.changes["display_name"],
                external_id=adapter.changes.get("external_id", ""),
            )
            if adapter.plan.add:
                group_services.add_group_members(group, adapter.plan.add, actor=self.actor)
        return self.render(self.get_group(str(group.pk)), status=201, location=True)

    def put(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)
        group = self.get_group(uuid)
        adapter = ScimGroupAdapter(group, request, self.base_url())
        adapter.from_dict(self.json_object(), replacing=True)
        with transaction.atomic():
            self.apply(self.locked(group), adapter)
        return self.render(self.get_group(uuid))

    def patch(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)
        group = self.get_group(uuid)
        body = self.json_object(PATCH_SCHEMA)
        adapter = ScimGroupAdapter(group, request, self.base_url())
        adapter.handle_operations(body.get("Operations", body.get("operations")))
        with transaction.atomic():
            self.apply(self.locked(group), adapter)
        if "attributes" in request.GET or "excludedAttributes" in request.GET:
            return self.render(self.get_group(uuid))
        # RFC 7644 §3.5.2: 204 when no attributes were asked for, so a one-member change to a large
        # group does not answer with the whole member list.
        response = HttpResponse(status=204)
        response["ETag"] = self.get_group(uuid).etag
        return response

    def delete(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)
        group = self.get_group(uuid)
        group_services.delete_group(group, actor=self.actor, expected_version=self.expected_version())
        return HttpResponse(status=204)

    def allowed_methods(self) -> list[str]:
        if self.kwargs.get("uuid") is None:
            return ["GET", "POST"]
        return ["GET", "PUT", "PATCH", "DELETE"]


class GroupSearchView(GroupViewMixin):
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.list(self.json_object(SEARCH_SCHEMA))
