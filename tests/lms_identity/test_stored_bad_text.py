"""Text no edge accepts any more may already be stored (SQLite kept what PostgreSQL refuses): the admin
pages that show it still open, with U+FFFD in its place."""

import pytest
from django.db import DataError, transaction
from django.db import connection as db

from lms_identity.models import AuditEvent, Group, User
from lms_identity.services.audit import Actor
from lms_identity.services.users import create_user
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(db.vendor != "sqlite", reason="PostgreSQL cannot store such text")
postgres_only = pytest.mark.skipif(db.vendor != "postgresql", reason="SQLite stores such text")
INVALID_UTF8 = "CAST(X'61EDA080' AS TEXT)"  # "a" then the UTF-8 bytes of U+D800


@pytest.fixture
def person(connection):
    # Through the service, so an audit event about them exists too.
    user, _ = create_user(
        connection=connection, actor=Actor.system("tests"), attrs={"user_name": "ann@example.com"}
    )
    MembershipFactory(group=GroupFactory(connection=connection, display_name="Sales"), user=user)
    return user


def admin_pages(person):
    group = Group.objects.get()
    event = AuditEvent.objects.filter(target_id=str(person.pk)).latest("id")
    return [
        "/admin/lms_identity/user/",
        f"/admin/lms_identity/user/{person.pk}/change/",
        "/admin/lms_identity/group/",
        f"/admin/lms_identity/group/{group.pk}/change/",
        "/admin/lms_identity/auditevent/",
        f"/admin/lms_identity/auditevent/{event.pk}/change/",
    ]


@sqlite_only
def test_lone_surrogates_stored_in_json_columns_do_not_break_the_admin(admin_client, person):
    User.objects.filter(pk=person.pk).update(custom_attributes={"region": "North \ud800"})
    AuditEvent.objects.filter(target_id=str(person.pk)).update(
        context={"detail": "x\udfff"}, changes={"title": ["", "\ud800"]}
    )

    responses = [admin_client.get(url) for url in admin_pages(person)]

    assert [r.status_code for r in responses] == [200] * 6
    assert "North \ufffd" in responses[1].content.decode()
    assert User.objects.get(pk=person.pk).custom_attributes == {"region": "North \ufffd"}


@sqlite_only
def test_invalid_utf8_stored_in_text_columns_does_not_break_the_admin(admin_client, person):
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE lms_identity_user SET title = {INVALID_UTF8}, display_name = title WHERE id = %s",
            [person.pk.hex],
        )
        cursor.execute(f"UPDATE lms_identity_group SET external_id = {INVALID_UTF8}")
        cursor.execute(f"UPDATE lms_identity_auditevent SET target_label = {INVALID_UTF8}")

    responses = [admin_client.get(url) for url in admin_pages(person)]

    assert [r.status_code for r in responses] == [200] * 6
    assert User.objects.get(pk=person.pk).title == "a\ufffd\ufffd\ufffd"


@postgres_only
def test_postgresql_cannot_store_a_lone_surrogate_at_all(person):
    with pytest.raises((DataError, UnicodeEncodeError)), transaction.atomic():
        User.objects.filter(pk=person.pk).update(custom_attributes={"region": "North \ud800"})
    with pytest.raises((DataError, UnicodeEncodeError)), transaction.atomic():
        User.objects.filter(pk=person.pk).update(title="North \ud800")
    with pytest.raises(DataError), transaction.atomic(), db.cursor() as cursor:
        cursor.execute("SELECT convert_from('\\x61eda080'::bytea, 'UTF8')")

    assert User.objects.get(pk=person.pk).title == ""
