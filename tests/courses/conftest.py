import pytest

from courses.models import Course, LearningPath, LicensePool, PathCourse, RoleTemplate
from courses.services.rules import create_rule
from lms_identity.services.audit import Actor
from tests.factories import GroupFactory, MembershipFactory, UserFactory


@pytest.fixture
def actor():
    return Actor.system("tests")


@pytest.fixture
def make_course():
    def make(slug, published=True):
        return Course.objects.create(slug=slug, title=slug.replace("-", " ").title(), published=published)

    return make


@pytest.fixture
def make_path(make_course):
    def make(slug, courses):
        path = LearningPath.objects.create(slug=slug, title=slug.title(), published=True)
        for position, course in enumerate(courses):
            PathCourse.objects.create(path=path, course=course, position=position)
        return path

    return make


@pytest.fixture
def team(connection):
    """A group of the test connection, with `members` people in it."""

    def make(name, members=0):
        group = GroupFactory(connection=connection, display_name=name)
        people = [UserFactory(connection=connection) for _ in range(members)]
        for person in people:
            MembershipFactory(group=group, user=person)
        return group, people

    return make


@pytest.fixture
def rule_for(actor):
    def make(target, *, groups=(), conditions=None, policy="suspend", target_type=None, **extra):
        kind = (
            target_type
            or {
                Course: "course",
                LearningPath: "path",
                RoleTemplate: "role",
                LicensePool: "seat",
            }[type(target)]
        )
        data = {
            "name": f"rule for {target}",
            "target_type": kind,
            "target": target,
            "groups": [g.pk for g in groups],
            "conditions": conditions or [],
            "removal_policy": policy,
            **extra,
        }
        rule, _ = create_rule(data, actor=actor)
        return rule

    return make
