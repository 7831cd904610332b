"""Races an IdP really causes: parallel membership PATCHes and duplicate creates (PostgreSQL only)."""

import threading

import pytest
from django.db import connection as db_connection
from django.db import connections

from lms_identity.models import Group, Membership, User
from tests.factories import UserFactory
from tests.provisioning.scim.conftest import ScimClient, patch_op

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        db_connection.vendor != "postgresql",
        reason="SQLite serialises every writer, so these races need PostgreSQL (set DATABASE_URL)",
    ),
]


def run_together(count, work):
    """Start `count` threads at the same instant; return what each returned."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_parallel_member_adds_lose_none(scim_token, connection):
    people = [UserFactory(connection=connection) for _ in range(20)]
    group = ScimClient(scim_token).post("Groups", {"displayName": "Everyone"}).json()

    statuses = run_together(
        20,
        lambda i: (
            ScimClient(scim_token)
            .patch(
                f"Groups/{group['id']}",
                patch_op({"op": "add", "path": "members", "value": [{"value": str(people[i].pk)}]}),
            )
            .status_code
        ),
    )

    assert statuses == [204] * 20
    assert set(Membership.objects.filter(group_id=group["id"]).values_list("user_id", flat=True)) == {
        p.pk for p in people
    }
    assert Group.objects.get(pk=group["id"]).version == 21


def test_ten_parallel_creates_of_one_user_name_make_one_user(scim_token, connection):
    statuses = run_together(
        10, lambda i: ScimClient(scim_token).post("Users", {"userName": "twin@example.com"}).status_code
    )

    assert sorted(statuses) == [201] + [409] * 9
    assert User.objects.filter(user_name__iexact="twin@example.com").count() == 1


def test_a_write_stuck_behind_a_lock_gets_429_with_retry_after(scim_token, connection, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr("provisioning.scim.views.base.LOCK_TIMEOUT", "300ms")
    person = UserFactory(connection=connection)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                User.objects.select_for_update().get(pk=person.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    locked.wait(10)
    try:
        response = ScimClient(scim_token).patch(
            f"Users/{person.pk}", patch_op({"op": "replace", "path": "title", "value": "Lead"})
        )
    finally:
        release.set()
        holder.join()

    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    assert "lock" not in response.content.decode().lower()
    assert User.objects.get(pk=person.pk).title == ""
