"""/Users: thin edges over lms_identity.services.users."""

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from lms_identity.compiled_queries import CompiledQuery
from lms_identity.models import User
from lms_identity.services import users as user_services
from lms_identity.services.people_counts import live_people

from ..adapters.users import ScimUserAdapter
from ..attribute_selection import Selection
from ..errors import not_found
from ..filters import USER_FIELDS
from ..schemas import ENTERPRISE_SCHEMA, PATCH_SCHEMA, SEARCH_SCHEMA
from .base import ScimView, json_response, resource_response
from .listing import list_response


def wants_manager_name(selection: Selection) -> bool:
    return selection.names(ENTERPRISE_SCHEMA.lower(), "manager", "displayname")


def visible_people(connection_id: int) -> QuerySet[User]:
    """What a connection's SCIM client sees: its people, but for the soft-deleted ones, which are gone
    as far as the IdP can tell (404); deactivated people stay visible."""
    return User.objects.not_deleted().filter(connection_id=connection_id)


# The row a PUT or PATCH changes, locked: compiled once (lms_identity/compiled_queries.py), not per request.
_LOCKED_PERSON = CompiledQuery(
    lambda connection_id, pk: visible_people(connection_id).filter(pk=pk).select_for_update(of=("self",))
)


class UserViewMixin(ScimView):
    def users(self, *, with_manager: bool = False) -> Any:
        people = visible_people(self.connection.pk)
        # The manager's row is joined only when their displayName is asked for: the id is on our row.
        return people.select_related("manager") if with_manager else people

    def locked_user(self, user_id: str) -> User:
        """The person, locked, inside the caller's transaction; User.DoesNotExist when not there."""
        found = _LOCKED_PERSON(connection_id=self.connection.pk, pk=self.user_pk(user_id))
        if not found:
            raise User.DoesNotExist()
        return found[0]

    def user_pk(self, user_id: str) -> uuid.UUID:
        try:
            return uuid.UUID(user_id)
        except ValueError:
            raise not_found() from None

    def get_user(self, user_id: str, *, with_manager: bool = False) -> User:
        user = self.users(with_manager=with_manager).filter(pk=self.user_pk(user_id)).first()
        if user is None:
            raise not_found()
        return user

    def get_rendered_user(self, user_id: str) -> User:
        """The person as a response will show them: with their manager when the request asks for the
        manager's displayName."""
        return self.get_user(user_id, with_manager=wants_manager_name(self.selection()))

    def adapter(self, user: User) -> ScimUserAdapter:
        return ScimUserAdapter(user, self.request, self.base_url())

    def render(self, user: User, *, status: int = 200, location: bool = False) -> HttpResponse:
        adapter = self.adapter(user)
        selection = self.selection()
        data = selection.apply(adapter.to_dict(manager_name=wants_manager_name(selection)))
        return resource_response(
            data,
            status=status,
            etag=user.etag,
            location=adapter.location if location else "",
            request=self.request,
        )

    def list(self, params: Any) -> HttpResponse:
        selection = self.selection(params)
        base = self.base_url()
        data = list_response(
            self.users(with_manager=wants_manager_name(selection)),
            params=params,
            fields=USER_FIELDS,
            selection=selection,
            render=lambda page: [
                ScimUserAdapter(u, self.request, base).to_dict(manager_name=wants_manager_name(selection))
                for u in page
            ],
            unfiltered_total=lambda: live_people(self.connection.pk),
        )
        return json_response(data)


class UsersView(UserViewMixin):
    http_method_names = ["get", "post", "put", "patch", "delete", "options"]

    def get(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.list(request.GET)
        return self.render(self.get_rendered_user(uuid))

    def post(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is not None:
            return self.http_method_not_allowed(request)
        adapter = ScimUserAdapter(User(), request, self.base_url())
        adapter.from_dict(self.json_object())
        user, _ = user_services.create_user(
            connection=self.connection, actor=self.actor, attrs=adapter.changes
        )
        # Rendered from the row just saved (no read back): create_user returns it as written.
        return self.render(user, status=201, location=True)

    def put(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)

        def replaced(user: User) -> dict[str, Any]:
            adapter = self.adapter(user)
            adapter.from_dict(self.json_object(), replacing=True)
            return adapter.changes

        return self.updated(uuid, replaced)

    def patch(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)

        def patched(user: User) -> dict[str, Any]:
            body = self.json_object(PATCH_SCHEMA)
            adapter = self.adapter(user)
            adapter.handle_operations(body.get("Operations", body.get("operations")))
            return adapter.changes

        return self.updated(uuid, patched)

    def updated(self, user_id: str, changes_for: Callable[[User], dict[str, Any]]) -> HttpResponse:
        """Apply a PUT's or PATCH's changes to the person as the service locks them (read once: the
        body is applied to the locked row) and answer with the person as they now are, rendered from
        the row saved (no read back)."""
        try:
            saved, _ = user_services.update_user(
                lambda: self.locked_user(user_id),
                actor=self.actor,
                changes=changes_for,
                expected_version=self.expected_version(),
            )
        except User.DoesNotExist:
            raise not_found() from None
        return self.render(saved)

    def delete(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        if uuid is None:
            return self.http_method_not_allowed(request)
        user = self.get_user(uuid)
        user_services.delete_user(user, actor=self.actor, expected_version=self.expected_version())
        return HttpResponse(status=204)

    def allowed_methods(self) -> list[str]:
        if self.kwargs.get("uuid") is None:
            return ["GET", "POST"]
        return ["GET", "PUT", "PATCH", "DELETE"]


class UserSearchView(UserViewMixin):
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.list(self.json_object(SEARCH_SCHEMA))
