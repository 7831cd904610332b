"""A query compiled once per shape finds what its queryset finds, for every shape of its values."""

import pytest
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q

from lms_identity.compiled_queries import CompiledQuery
from lms_identity.models import User
from lms_identity.models.users import user_name_is
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _people(user_name, connection_id, refs):
    match = user_name_is(user_name)
    waiting = Q(connection_id=connection_id, pending_manager_ref__in=refs)
    return (
        User.objects.filter(match | waiting)
        .annotate(named=ExpressionWrapper(match, BooleanField()))
        .order_by("user_name")
    )


def _seen(people):
    return [(person.user_name, bool(person.named)) for person in people]


def test_each_shape_finds_what_the_queryset_finds(connection):
    UserFactory(connection=connection, user_name="Ada@Example.com")
    UserFactory(connection=connection, user_name="bo@example.com", pending_manager_ref="ada@example.com")
    UserFactory(connection=None, user_name="cy@example.com", pending_manager_ref="ext-1")
    built = []
    compiled = CompiledQuery(lambda **values: built.append(values) or _people(**values))
    cases = [
        {"user_name": "ADA@example.com", "connection_id": connection.pk, "refs": ["ada@example.com"]},
        {"user_name": "nobody@example.com", "connection_id": None, "refs": ["ext-1", "x"]},
        {"user_name": "ada@example.com", "connection_id": connection.pk, "refs": ["x", "ada@example.com"]},
        {"user_name": "cy@example.com", "connection_id": connection.pk, "refs": ["ada@example.com"]},
    ]

    for values in cases:
        assert _seen(compiled(**values)) == _seen(_people(**values)), values

    assert _seen(compiled(**cases[0])) == [("Ada@Example.com", True), ("bo@example.com", False)]
    # One compilation per shape: (int, 1 ref), (None, 2 refs), (int, 2 refs); the fourth reuses the first.
    assert len(built) == 3


def test_a_value_the_compiler_changes_is_refused_at_once(connection):
    compiled = CompiledQuery(lambda name: User.objects.filter(user_name=name.upper()))

    with pytest.raises(ValueError, match="values changed on their way into the SQL"):
        compiled(name="ada@example.com")


@pytest.mark.django_db(transaction=True)
def test_a_locking_lookup_outside_a_transaction_is_refused_as_django_refuses_it(connection):
    compiled = CompiledQuery(lambda name: User.objects.select_for_update().filter(user_name=name))
    with transaction.atomic():
        compiled(name="ada@example.com")  # compiled here, inside a transaction

    with pytest.raises(transaction.TransactionManagementError):
        compiled(name="ada@example.com")
