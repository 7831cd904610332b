"""POST /.search (RFC 7644 §3.4.3): one search over Users and then Groups, paged as one list."""

from typing import Any

from django.http import HttpRequest, HttpResponse

from lms_identity.services.people_counts import live_people

from ..errors import ScimError
from ..filters import GROUP_FIELDS, USER_FIELDS, filter_to_q
from ..schemas import LIST_SCHEMA, SEARCH_SCHEMA
from .base import json_response
from .groups import GroupViewMixin
from .listing import page_bounds, page_of
from .users import UserViewMixin, wants_manager_name


class RootSearchView(UserViewMixin, GroupViewMixin):  # type: ignore[misc]  # render() unused here
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        params = self.json_object(SEARCH_SCHEMA)
        selection = self.selection(params)
        users, groups = self.users(), self.groups()
        filter_text = params.get("filter")
        if filter_text is not None:
            users, groups = self._filtered(users, groups, filter_text)
        start, count = page_bounds(params.get("startIndex"), params.get("count"))
        users, groups = users.order_by("pk"), groups.order_by("pk")
        user_total = users.count() if filter_text is not None else live_people(self.connection.pk)
        group_total = groups.count()
        offset = start - 1
        page_users = page_of(users, offset, count) if offset < user_total else []
        remaining = count - len(page_users)
        page_groups = page_of(groups, max(0, offset - user_total), remaining)
        manager_name = wants_manager_name(selection)
        resources = [
            self.adapter(u).to_dict(manager_name=manager_name) for u in page_users
        ] + self.render_many(page_groups, selection)
        return json_response(
            {
                "schemas": [LIST_SCHEMA],
                "totalResults": user_total + group_total,
                "startIndex": start,
                "itemsPerPage": len(resources),
                "Resources": [selection.apply(r) for r in resources],
            }
        )

    def _filtered(self, users: Any, groups: Any, filter_text: Any) -> tuple[Any, Any]:
        """A filter on an attribute only one resource type has selects none of the other type; a filter
        neither type understands is invalid."""
        if not isinstance(filter_text, str):
            raise ScimError(400, "filter must be a string", "invalidFilter")
        errors = []
        try:
            users = users.filter(filter_to_q(filter_text, USER_FIELDS))
        except ScimError as exc:
            users, errors = users.none(), [exc]
        try:
            groups = groups.filter(filter_to_q(filter_text, GROUP_FIELDS))
        except ScimError as exc:
            groups, errors = groups.none(), [*errors, exc]
        if len(errors) == 2:
            raise errors[0]
        return users, groups
