"""factory_boy factories for the tests.

Identity rows are written with the ORM. Courses rows that a service would follow up on go through that
service, as in production: a rule made by EntitlementRuleFactory (create_rule) has already given its
grants to the people it selects, and an override (set_override) has already been applied. A Grant made
by GrantFactory is written by hand, as no service would: the thing a repair (the nightly reconcile, a
sweep) must notice.
"""

from typing import Any

import factory

from courses.models import (
    Course,
    EntitlementRule,
    Grant,
    GrantState,
    LearningPath,
    LicensePool,
    Origin,
    Override,
    PathCourse,
    RoleTemplate,
)
from courses.services.overrides import set_override
from courses.services.rules import create_rule
from courses.targets import key_of, kind_of, set_target
from lms_identity.models import Group, IdpConnection, Membership, User
from lms_identity.models.groups import GroupSource
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor

TESTS = Actor.system("tests")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdpConnection
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"idp{n}")
    name = factory.LazyAttribute(lambda o: o.slug.upper())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    connection = factory.SubFactory(ConnectionFactory)
    source = Source.SCIM
    user_name = factory.Sequence(lambda n: f"person{n}@example.com")
    email = factory.LazyAttribute(lambda o: o.user_name)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = "Example"
    display_name = factory.LazyAttribute(lambda o: f"{o.given_name} {o.family_name}")
    password = factory.django.Password(None)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    connection = factory.SubFactory(ConnectionFactory)
    source = GroupSource.SCIM
    display_name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(UserFactory)
    source = GroupSource.SCIM


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    published = True


class LearningPathFactory(factory.django.DjangoModelFactory):
    """A published path; `courses=[...]` become its steps, in that order."""

    class Meta:
        model = LearningPath
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"path-{n}")
    title = factory.LazyAttribute(lambda o: o.slug.title())
    published = True

    @factory.post_generation
    def courses(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for position, course in enumerate(extracted or ()):
            PathCourse.objects.create(path=self, course=course, position=position)


class RoleTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleTemplate

    slug = factory.Sequence(lambda n: f"role-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    capabilities = factory.LazyFunction(lambda: ["learn"])


class LicensePoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicensePool

    product = factory.Sequence(lambda n: f"Product {n}")
    seat_count = 10


class EntitlementRuleFactory(factory.django.DjangoModelFactory):
    """A rule saved through create_rule: the people it selects hold its grants when it returns. The
    target type follows from the target (a course, path, role template or license pool)."""

    class Meta:
        model = EntitlementRule

    target = factory.SubFactory(CourseFactory)
    target_type = factory.LazyAttribute(lambda o: kind_of(o.target).target_type)
    name = factory.LazyAttribute(lambda o: f"rule for {o.target}")
    groups: Any = ()
    conditions = factory.LazyFunction(list)
    removal_policy = "suspend"

    @classmethod
    def _create(cls, model_class: type[EntitlementRule], groups: Any = (), **data: Any) -> EntitlementRule:
        rule, _ = create_rule({**data, "groups": [g.pk for g in groups]}, actor=TESTS)
        return rule


class OverrideFactory(factory.django.DjangoModelFactory):
    """An admin's allow (or deny) set through set_override: the person is reconciled when it returns."""

    class Meta:
        model = Override

    user = factory.SubFactory(UserFactory)
    target = factory.SubFactory(CourseFactory)
    effect = "allow"

    @classmethod
    def _create(cls, model_class: type[Override], user: User, target: Any, **options: Any) -> Override:
        target_type = kind_of(target).target_type
        override, _ = set_override(user, actor=TESTS, target_type=target_type, target=target, **options)
        return override


class GrantFactory(factory.django.DjangoModelFactory):
    """A grant written by hand (no service writes one like this): active, manual, for a course."""

    class Meta:
        model = Grant

    user = factory.SubFactory(UserFactory)
    origin = Origin.MANUAL
    origin_key = Origin.MANUAL.value
    state = GrantState.ACTIVE

    @classmethod
    def _create(cls, model_class: type[Grant], target: Any = None, **fields: Any) -> Grant:
        grant = model_class(**fields)
        target = target if target is not None else CourseFactory()
        set_target(grant, kind_of(target).target_type, target)
        grant.key = key_of(grant)
        grant.save()
        return grant


def session_for(user: User) -> str:
    """A live Django session of this person, indexed the way SSO login does it; returns its key."""
    from django.contrib.sessions.backends.db import SessionStore

    from lms_identity.services.sessions import index_session

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    index_session(user, store.session_key)
    return str(store.session_key)
