"""The demo catalog `make run` seeds: a few courses, a path, rules on the demo teams, a license pool."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from lms_identity.models import Group, IdpConnection
from lms_identity.services.audit import Actor

from .models import Course, EntitlementRule, Grant, LearningPath, LicensePool, PathCourse, RoleTemplate
from .services.pools import create_pool
from .services.rules import create_rule

COURSES = [
    ("company-essentials", "Company essentials", "How we work, our values, and where to find help."),
    ("secure-coding", "Secure coding", "The OWASP Top 10 with exercises in our stack."),
    ("code-review", "Code review", "Reviewing and being reviewed, kindly and quickly."),
    ("research-methods", "Research methods", "Designing experiments and reading results honestly."),
    ("negotiation-basics", "Negotiation basics", "Preparing, anchoring, and closing a deal."),
    ("leading-teams", "Leading teams", "One-to-ones, feedback, and growing people."),
]
PATH = ("backend-engineer", "Backend engineer", ["secure-coding", "code-review"])
# name, team (or None), conditions, target kind, target
RULES = [
    (
        "Everyone: company essentials",
        None,
        [{"attribute": "department", "values": ["Engineering", "Research", "Sales"]}],
        "course",
        "company-essentials",
    ),
    ("Engineering: backend path", "Engineering", [], "path", "backend-engineer"),
    ("Research: research methods", "Research", [], "course", "research-methods"),
    ("Sales: negotiation", "Sales", [], "course", "negotiation-basics"),
    ("Managers: leading teams", "Managers", [], "course", "leading-teams"),
    ("Managers: manager role", "Managers", [], "role", "manager"),
    ("LMS Admins: L&D admin role", "LMS Admins", [], "role", "ld-admin"),
    ("Engineering: Copilot seat", "Engineering", [], "seat", "GitHub Copilot"),
]


def seed_catalog(connection: IdpConnection) -> None:
    """Create the demo courses, path, license pool and rules if missing. Idempotent: rules are matched by
    name, so a second run changes nothing. Call reconcile_everyone afterwards."""
    actor = Actor.system("seed_demo")
    with transaction.atomic():
        courses = {}
        for slug, title, description in COURSES:
            courses[slug], _ = Course.objects.get_or_create(
                slug=slug, defaults={"title": title, "description": description, "published": True}
            )
        slug, title, steps = PATH
        path, created = LearningPath.objects.get_or_create(
            slug=slug, defaults={"title": title, "published": True}
        )
        if created:
            for position, course_slug in enumerate(steps):
                PathCourse.objects.create(path=path, course=courses[course_slug], position=position)
        pool = LicensePool.objects.filter(product="GitHub Copilot").first() or create_pool(
            actor=actor, product="GitHub Copilot", seat_count=2, grace_days=7
        )
    targets: dict[str, dict[str, Any]] = {
        "course": courses,
        "path": {path.slug: path},
        "seat": {pool.product: pool},
    }
    targets["role"] = {r.slug: r for r in RoleTemplate.objects.all()}
    for name, team, conditions, kind, target in RULES:
        if EntitlementRule.objects.filter(name=name).exists():
            continue
        groups = (
            list(Group.objects.filter(connection=connection, display_name=team).values_list("pk", flat=True))
            if team
            else []
        )
        if team and not groups:
            continue
        create_rule(
            {
                "name": name,
                "groups": groups,
                "conditions": conditions,
                "target_type": kind,
                "target": targets[kind][target],
            },
            actor=actor,
        )


def backdate_seats(days_ago: tuple[int, ...] = (21, 9)) -> int:
    """Date the demo pool's seat grants back, one per entry of `days_ago`, so the seat-utilization chart
    shows the pool filling up. Idempotent (sets the same dates). Returns the grants dated."""
    seats = list(Grant.objects.filter(target_type="seat").order_by("created_at", "pk")[: len(days_ago)])
    now = timezone.now()
    for grant, days in zip(seats, days_ago, strict=False):
        Grant.objects.filter(pk=grant.pk).update(created_at=now - timedelta(days=days))
    return len(seats)
