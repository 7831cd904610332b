"""userName, email and group names are unique ignoring case for every letter, not only A-Z, on SQLite
as on PostgreSQL: `Émile` and `émile` are the same person. The lookups keep using the unique indexes."""

import pytest
from django.db import IntegrityError, connection, transaction

from lms_identity.models import User
from lms_identity.models.users import email_is, user_name_is
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "first, second",
    [("Émile@example.com", "émile@example.com"), ("ÅSA", "åsa"), ("ÇAĞLAR", "çağlar"), ("ДАША", "даша")],
)
def test_two_user_names_differing_only_in_case_cannot_both_exist(first, second):
    UserFactory(user_name=first, email="")

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(user_name=second, email="")

    assert User.objects.count() == 1


def test_two_emails_differing_only_in_case_cannot_both_exist():
    UserFactory(user_name="one", email="Émile@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(user_name="two", email="émile@example.com")


def test_two_groups_of_a_connection_differing_only_in_case_cannot_both_exist():
    group = GroupFactory(display_name="Équipe")

    with pytest.raises(IntegrityError), transaction.atomic():
        GroupFactory(display_name="équipe", connection=group.connection)


def test_different_letters_are_still_different_people():
    UserFactory(user_name="emile@example.com")

    UserFactory(user_name="émile@example.com")

    assert User.objects.count() == 2


def test_the_lookups_find_a_person_whatever_the_case_of_their_letters():
    emile = UserFactory(user_name="Émile@example.com", email="Émile@example.com")

    assert User.objects.get(user_name_is("ÉMILE@EXAMPLE.COM")) == emile
    assert User.objects.get(user_name_is("émile@example.com")) == emile
    assert User.objects.get(email_is("émile@EXAMPLE.com")) == emile


@pytest.mark.parametrize(
    "lookup, index", [(user_name_is, "user_user_name_ci_unique"), (email_is, "user_email_ci_unique")]
)
def test_the_lookups_can_use_the_case_insensitive_unique_index(lookup, index):
    UserFactory.create_batch(3)

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a tiny table: make the planner show what it can use
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = User.objects.filter(lookup("Émile@example.com")).explain()

    assert index in plan
