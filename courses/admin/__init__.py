"""The catalog side of the L&D admin console: catalog, rules, license pools, grants and overrides, and the
grants and seats sections of the person page."""

from . import catalog, grants, instructors, person_sections, pools, rules

__all__ = ["catalog", "grants", "instructors", "person_sections", "pools", "rules"]
