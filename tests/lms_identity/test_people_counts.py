"""The live-people count behind the SCIM list's totalResults stays exact on every write path."""

import pytest
from django.db import connection as db

from lms_identity.models import User
from lms_identity.models.users import Source
from lms_identity.services.people_counts import live_people
from lms_identity.services.users import create_user, delete_user
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def actual(connection):
    return User.objects.filter(connection=connection, deleted_at__isnull=True).count()


def test_the_count_follows_creates_deletes_restores_adoptions_moves_and_purges(system_actor):
    okta = ConnectionFactory(slug="okta")
    entra = ConnectionFactory(slug="entra", adopt_existing_accounts=True)
    people = [UserFactory(connection=okta) for _ in range(5)]  # the ORM's plain inserts
    inactive = UserFactory(connection=okta, is_active=False)  # deactivated people still count
    scim_made, _ = create_user(connection=okta, actor=system_actor, attrs={"user_name": "ann@example.com"})
    unowned = UserFactory(connection=None, source=Source.JIT, user_name="bob@example.com")
    assert (live_people(okta.pk), live_people(entra.pk)) == (7, 0)

    delete_user(people[0], actor=system_actor)
    delete_user(people[0], actor=system_actor)  # a repeated delete changes nothing
    restored, _ = create_user(connection=okta, actor=system_actor, attrs={"user_name": people[0].user_name})
    adopted, _ = create_user(connection=entra, actor=system_actor, attrs={"user_name": "bob@example.com"})
    User.objects.filter(pk=people[1].pk).update(connection=entra)  # moved by hand
    User.objects.filter(pk=people[2].pk).update(title="Lead")  # unrelated change
    people[3].delete()  # purged
    with db.cursor() as cursor:  # raw SQL, as a bulk fix would
        cursor.execute(
            "UPDATE lms_identity_user SET deleted_at = CURRENT_TIMESTAMP WHERE id = %s", [people[4].pk.hex]
        )

    assert restored.pk == people[0].pk and adopted.pk == unowned.pk and inactive.pk and scim_made.pk
    assert (live_people(okta.pk), live_people(entra.pk)) == (actual(okta), actual(entra)) == (4, 2)
