"""`{{ state|progress_label }}`: a learner's progress state as people read it."""

from django import template

from courses.models import Progress

register = template.Library()

LABELS = {"not_started": "Not started", **dict(Progress.choices)}


@register.filter
def progress_label(state: str) -> str:
    return LABELS.get(state, state)
