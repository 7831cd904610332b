"""The admin API's permission classes: what a caller may do is read from the Django permissions their
role grants give (courses/capabilities.py), never from `is_staff`. A token's person who loses the role
loses the permissions, so the token can do nothing more (403) from that moment."""

from typing import Any

from django.db.models import Model
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from ..capabilities import API_PERMISSIONS

ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def model_of(view: Any) -> type[Model] | None:
    """The model a view acts on: `capability_model` when the view names one, else its queryset's."""
    model = getattr(view, "capability_model", None)
    if model is None and getattr(view, "queryset", None) is not None:
        model = view.queryset.model
    return model


class HasModelCapability(BasePermission):
    """Reads need the model's view permission; POST add, PUT and PATCH change, DELETE delete. A view
    without a model is refused (fail closed). An action that changes a row by POST names the permission
    it needs instead (`@action(..., capability_action="change")`, as acknowledging an alert does)."""

    message = "Your roles do not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        model = model_of(view)
        if model is None:
            return False
        action = (
            "view"
            if request.method in SAFE_METHODS
            else getattr(view, "capability_action", None) or ACTIONS.get(request.method or "")
        )
        if action is None:
            return False
        return bool(user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}"))


class CanUseAdminApi(BasePermission):
    """The API schema and docs: for whoever may use some of the admin API (an L&D admin)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return any(user.has_perm(perm) for perm in sorted(API_PERMISSIONS))
