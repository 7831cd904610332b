"""Sections other apps add to the person page (courses adds grants and seats), so the core shows them
without importing those apps. Each section reads through its app's query module."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lms_identity.models import User


@dataclass(frozen=True)
class PersonSection:
    key: str
    title: str
    template: str
    # user -> the template's context; a fixed number of queries.
    context: Callable[[User], dict[str, Any]]
    order: int = 100


_SECTIONS: dict[str, PersonSection] = {}


def register_person_section(section: PersonSection) -> None:
    """Add (or replace, by key) a section of the person page."""
    _SECTIONS[section.key] = section


def person_sections(user: User) -> list[dict[str, Any]]:
    """Each registered section with its context, in display order."""
    ordered = sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))
    return [{"title": s.title, "template": s.template, **s.context(user)} for s in ordered]
