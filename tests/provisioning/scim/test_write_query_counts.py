"""SCIM writes run a fixed, small number of statements (PostgreSQL, outside any test transaction, as in
production): a new person is one statement with their audit and outbox events; a change is one
transaction whose row is saved in its events' statement; the events are sealed later by a worker; no
token lookup (remembered), no lock_timeout statement (set once per connection), no read back after a
create, and a PATCH reads the person once (the locked read)."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from lms_identity.models import AuditEvent, OutboxEvent, User
from lms_identity.models.users import Source
from provisioning import nudges
from tests.factories import UserFactory
from tests.provisioning.scim.conftest import patch_op

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        db_connection.vendor != "postgresql", reason="statement counts and lock_timeout are PostgreSQL's"
    ),
]

OKTA_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ann@example.com",
    "name": {"givenName": "Ann", "familyName": "Lee"},
    "emails": [{"primary": True, "value": "ann@example.com", "type": "work"}],
    "displayName": "Ann Lee",
    "active": True,
}


@pytest.fixture(autouse=True)
def sealed_on_a_worker(settings):
    """As deployed: the request nudges a worker to seal its audit event (the suite seals inline)."""
    settings.AUDIT_SEAL_NOTIFY = "provisioning.nudges.seal_audit"
    yield
    nudges.seal_audit.wait_until_idle()


@pytest.fixture
def warm(scim):
    # The first write of a connection remembers the token and sets lock_timeout; measure what follows.
    scim.post("Users", {**OKTA_USER, "userName": "warm@example.com", "emails": []})
    return scim


def sql_of(captured):
    return [q["sql"] for q in captured.captured_queries]


def test_creating_a_new_person_is_one_statement(warm, django_assert_num_queries):
    # No account to adopt or clash with, nobody waiting for them as manager: that check, the person and
    # their audit and outbox events in one statement, atomic by itself (no BEGIN, no COMMIT)
    with django_assert_num_queries(1) as captured:
        response = warm.post("Users", OKTA_USER)

    assert response.status_code == 201
    (statement,) = sql_of(captured)
    assert "free AS" in statement and 'INTO "lms_identity_user"' in statement
    assert "auditevent" in statement and "outboxevent" in statement
    assert User.objects.filter(user_name="ann@example.com").exists()


def test_a_create_that_finds_an_account_to_adopt_takes_the_locked_path(warm, connection):
    jit = UserFactory(connection=connection, source=Source.JIT, user_name="ann@example.com", email="")

    # the guarded insert finds the account and writes nothing; then one transaction: the locked lookup,
    # the adoption rule's checks, the adoption and its events
    with CaptureQueriesContext(db_connection) as captured:
        response = warm.post("Users", OKTA_USER)

    assert response.status_code == 201 and response.json()["id"] == str(jit.pk)
    statements = sql_of(captured)
    assert "free AS" in statements[0] and statements[1] == "BEGIN" and statements[-1] == "COMMIT"
    assert "FOR UPDATE" in statements[2]
    assert User.objects.filter(user_name="ann@example.com").count() == 1


def test_a_taken_external_id_answers_409_and_the_one_statement_writes_nothing(warm, connection):
    # The guard looks for accounts by userName and email; an externalId another person holds is caught
    # by its unique index, which fails the whole statement: no person, no event, no outbox row.
    UserFactory(connection=connection, external_id="ext-ann")
    events, outbox_rows = AuditEvent.objects.count(), OutboxEvent.objects.count()

    response = warm.post("Users", {**OKTA_USER, "externalId": "ext-ann"})

    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert not User.objects.filter(user_name="ann@example.com").exists()
    assert (AuditEvent.objects.count(), OutboxEvent.objects.count()) == (events, outbox_rows)


def test_a_report_waiting_for_the_new_person_sends_the_create_the_locked_way(warm, connection):
    report = UserFactory(connection=connection, pending_manager_ref="ext-ann")

    with CaptureQueriesContext(db_connection) as captured:
        response = warm.post("Users", {**OKTA_USER, "externalId": "ext-ann"})

    assert response.status_code == 201
    assert "free AS" in sql_of(captured)[0] and "BEGIN" in sql_of(captured)
    report.refresh_from_db()
    assert str(report.manager_id) == response.json()["id"] and report.pending_manager_ref == ""


def test_okta_title_replace_is_four_statements(warm, connection, django_assert_num_queries):
    person = UserFactory(connection=connection)

    # BEGIN, locked read, the update with its audit and outbox events (one statement), COMMIT: rendered
    # from the saved row
    with django_assert_num_queries(4) as captured:
        response = warm.patch(f"Users/{person.pk}", patch_op({"op": "replace", "value": {"title": "Lead"}}))

    assert response.json()["title"] == "Lead"
    assert response.json()["meta"]["version"] == f'W/"{person.version + 1}"'
    statements = sql_of(captured)
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    assert 'UPDATE "lms_identity_user"' in statements[2] and "auditevent" in statements[2]
    person.refresh_from_db()  # what the statement saved is what the answer shows
    assert person.title == "Lead" and response.json()["meta"]["version"] == f'W/"{person.version}"'


def test_okta_deactivation_is_five_statements(warm, connection, django_assert_num_queries):
    person = UserFactory(connection=connection)

    # as a title change, plus the sessions lookup; the row is saved in the statement of the lock-out's
    # audit event, and its one outbox event is user.deactivated
    with django_assert_num_queries(5) as captured:
        response = warm.patch(f"Users/{person.pk}", patch_op({"op": "replace", "value": {"active": False}}))

    assert response.json()["active"] is False
    assert sum("outboxevent" in s for s in sql_of(captured)) == 1
    person.refresh_from_db()
    assert not person.is_active and person.deactivated_at is not None
    assert response.json()["meta"]["version"] == f'W/"{person.version}"'


def test_lock_timeout_is_set_once_per_connection(scim, connection, django_assert_num_queries):
    from django.db import connections

    scim.get("ServiceProviderConfig")  # the token remembered and marked used
    connections.close_all()  # then a new database connection, as a web process opens one
    first = UserFactory(connection=connection)
    second = UserFactory(connection=connection)

    with django_assert_num_queries(5) as captured:  # 4 + the lock_timeout of this new connection
        scim.patch(f"Users/{first.pk}", patch_op({"op": "replace", "value": {"title": "A"}}))
    assert any("lock_timeout" in s for s in sql_of(captured))
    with django_assert_num_queries(4) as captured:
        scim.patch(f"Users/{second.pk}", patch_op({"op": "replace", "value": {"title": "B"}}))

    assert not any("lock_timeout" in s for s in sql_of(captured))
    with db_connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"


def test_the_create_guard_uses_the_indexes_not_a_scan_of_everyone(warm, connection):
    # Asked with NOT EXISTS, PostgreSQL planned the guard as a scan of the whole people table hoping for
    # an early match: 23 ms a create at 40,000 people, where the indexes take 0.07 ms.
    people = [
        User(connection=connection, user_name=f"p{n}@example.com", email=f"p{n}@example.com")
        for n in range(10_000)
    ]
    User.objects.bulk_create(people, batch_size=2000)
    with db_connection.cursor() as cursor:
        cursor.execute("ANALYZE lms_identity_user")

    with CaptureQueriesContext(db_connection) as captured:
        assert warm.post("Users", OKTA_USER).status_code == 201
    with db_connection.cursor() as cursor:
        (guarded,) = [sql for sql in sql_of(captured) if "free AS" in sql]
        cursor.execute(f"EXPLAIN {guarded}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on lms_identity_user" not in plan, plan
