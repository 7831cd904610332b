"""What the catalog pages share: the target field of each target type, a reconcile summary in words, a
service refusal as a form error, and "no delete" for rows other rows point at."""

from typing import Any

from django import forms
from django.http import HttpRequest

from courses.errors import InvalidInput
from courses.targets import find_kind


def target_field(target_type: str) -> str:
    """The form field that picks a target of this type ("" for an unknown type)."""
    kind = find_kind(target_type)
    return kind.field if kind is not None else ""


def summary_text(summary: dict[str, int]) -> str:
    if "deferred" in summary:
        return f"{summary['deferred']} people affected: a background worker is applying the change"
    changes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(summary.items()) if k != "people")
    return f"{summary.get('people', 0)} people reconciled" + (
        f": {changes}" if changes else ", nothing to change"
    )


def form_error(form: forms.BaseForm, error: InvalidInput) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
