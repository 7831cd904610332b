"""SCIM 2.0 routes, with django-scim2's URL patterns (mounted at /scim/v2/ by lms_identity.urls)."""

from django.urls import re_path

from .views.base import not_found_view
from .views.discovery import ResourceTypesView, SchemasView, ServiceProviderConfigView
from .views.groups import GroupSearchView, GroupsView
from .views.search import RootSearchView
from .views.users import UserSearchView, UsersView

app_name = "scim"

urlpatterns = [
    re_path(r"^\.search$", RootSearchView.as_view(), name="search"),
    re_path(r"^Users/\.search$", UserSearchView.as_view(), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?$", UsersView.as_view(), name="users"),
    re_path(r"^Groups/\.search$", GroupSearchView.as_view(), name="groups-search"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?$", GroupsView.as_view(), name="groups"),
    re_path(r"^ServiceProviderConfig$", ServiceProviderConfigView.as_view(), name="service-provider-config"),
    re_path(r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$", ResourceTypesView.as_view(), name="resource-types"),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?$", SchemasView.as_view(), name="schemas"),
    # Anything else under /scim/v2/ (including /Me and /Bulk, which we do not offer): a SCIM 404.
    re_path(r"^.*$", not_found_view, name="not-found"),
]
