"""factory_boy factories for the tests."""

import factory

from lms_identity.models import Group, IdpConnection, Membership, User
from lms_identity.models.groups import GroupSource
from lms_identity.models.users import Source


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


def session_for(user: User) -> str:
    """A live Django session of this person, indexed the way SSO login does it; returns its key."""
    from django.contrib.sessions.backends.db import SessionStore

    from lms_identity.services.sessions import index_session

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    index_session(user, store.session_key)
    return str(store.session_key)
