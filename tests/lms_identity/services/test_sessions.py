"""The session service: every ending is one audited call, proportional to the sessions it ends."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from lms_identity.models import AuditEvent, UserSession
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import (
    end_session,
    end_sessions_by_sid,
    end_sessions_of,
    end_sessions_of_people,
    index_session,
)
from tests.factories import ConnectionFactory, UserFactory, session_for

pytestmark = pytest.mark.django_db


def live(key):
    return (
        Session.objects.filter(session_key=key).exists()
        and UserSession.objects.filter(session_key=key).exists()
    )


def test_ending_one_session_leaves_the_persons_other_sessions_and_audits_the_cause(system_actor):
    person = UserFactory()
    ended, kept = session_for(person), session_for(person)

    assert end_session(ended, cause="admin", actor=Actor.of_admin(UserFactory()))

    assert not live(ended) and live(kept)
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.target_id, event.actor_type, event.context["cause"], event.context["sessions_ended"]) == (
        str(person.pk),
        "admin",
        "admin",
        1,
    )
    assert ended not in str(event.context)  # the session key is a secret: never in the trail


def test_ending_a_session_twice_is_a_no_op_without_a_second_event(system_actor):
    key = session_for(UserFactory())
    end_session(key, cause="logout", actor=system_actor)

    again = end_session(key, cause="logout", actor=system_actor)

    assert again is False
    assert AuditEvent.objects.filter(action="session.ended").count() == 1


def test_ending_all_sessions_of_a_person_keeps_the_one_excepted_and_other_peoples(system_actor):
    person, other = UserFactory(), UserFactory()
    current, old1, old2 = (session_for(person) for _ in range(3))
    others = session_for(other)

    count = end_sessions_of(person, cause="self", actor=Actor.of_user(person), except_key=current)

    assert count == 2
    assert live(current) and live(others) and not live(old1) and not live(old2)
    assert AuditEvent.objects.get(action="session.ended").context["sessions_ended"] == 2


def test_ending_all_sessions_of_a_person_costs_the_same_whatever_else_is_signed_in(
    system_actor, django_assert_num_queries
):
    person = UserFactory()
    session_for(person)
    for _ in range(20):
        session_for(UserFactory())

    # lock the index rows, delete sessions, delete index rows, audit (the person given is not read again)
    with django_assert_num_queries(4):
        assert end_sessions_of(person, cause="deactivated", actor=system_actor) == 1


def test_ending_by_sid_ends_only_that_idp_session_at_that_connection(system_actor):
    okta, entra = ConnectionFactory(slug="okta"), ConnectionFactory(slug="entra")
    person = UserFactory(connection=okta)
    that, other_sid, other_connection = session_for(person), session_for(person), session_for(person)
    index_session(person, that, connection_id=okta.pk, sid="sid-1")
    index_session(person, other_sid, connection_id=okta.pk, sid="sid-2")
    index_session(person, other_connection, connection_id=entra.pk, sid="sid-1")

    count = end_sessions_by_sid(okta, "sid-1", cause="backchannel_logout")

    assert count == 1
    assert not live(that) and live(other_sid) and live(other_connection)
    event = AuditEvent.objects.get(action="session.ended")
    assert (event.actor_label, event.connection_id) == ("okta", okta.pk)


def test_an_empty_sid_ends_nothing(system_actor):
    okta = ConnectionFactory(slug="okta")
    key = session_for(UserFactory(connection=okta))
    index_session(UserSession.objects.get(session_key=key).user, key, connection_id=okta.pk, sid="")

    assert end_sessions_by_sid(okta, "", cause="frontchannel_logout") == 0
    assert live(key)


def test_ending_the_sessions_of_many_people_writes_one_event_per_person_who_had_any(system_actor):
    people = [UserFactory() for _ in range(3)]
    session_for(people[0]), session_for(people[0]), session_for(people[1])

    ended = end_sessions_of_people(people, cause="sweep", actor=system_actor)

    assert dict(ended) == {people[0].pk: 2, people[1].pk: 1}
    assert not UserSession.objects.exists() and not Session.objects.exists()
    events = AuditEvent.objects.filter(action="session.ended").order_by("target_id")
    assert sorted((e.target_id, e.context["sessions_ended"]) for e in events) == sorted(
        [(str(people[0].pk), 2), (str(people[1].pk), 1)]
    )


def test_a_re_sign_in_moves_the_index_to_the_new_key_without_ending_anything(system_actor):
    person = UserFactory()
    old = session_for(person)

    index_session(person, "new-key-after-cycle", replaces=old)

    assert list(UserSession.objects.values_list("session_key", flat=True)) == ["new-key-after-cycle"]
    assert not AuditEvent.objects.filter(action="session.ended").exists()


def test_a_password_sign_in_is_indexed_so_a_deactivation_ends_it(client, system_actor):
    from lms_identity.services.users import deactivate_user

    admin = UserFactory(connection=None, is_staff=True)
    client.force_login(admin)
    assert UserSession.objects.filter(user=admin).count() == 1

    deactivate_user(admin, actor=system_actor)

    assert client.get("/learn/").status_code == 302
    assert not UserSession.objects.filter(user=admin).exists()


def test_the_admins_own_log_out_ends_the_session_through_the_service(admin_client):
    key = admin_client.session.session_key
    assert UserSession.objects.filter(session_key=key).exists()

    admin_client.post("/admin/logout/")

    assert not UserSession.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.get(action="session.ended").context["cause"] == "logout"


def test_ending_for_many_people_and_for_one_writes_events_of_the_same_shape(system_actor):
    okta = ConnectionFactory(slug="okta")
    one, many = UserFactory(connection=okta), UserFactory(connection=okta)
    for person in (one, many):
        for _ in range(2):
            key = session_for(person)
            index_session(person, key, connection_id=okta.pk, sid="s")
    ids = sorted(UserSession.objects.filter(user=many).values_list("pk", flat=True))

    end_sessions_of(one, cause="sweep", actor=system_actor)
    end_sessions_of_people([many], cause="sweep", actor=system_actor)

    single, bulk = (AuditEvent.objects.get(action="session.ended", target_id=str(p.pk)) for p in (one, many))
    assert set(single.context) == set(bulk.context) == {"cause", "sessions_ended", "sessions"}
    assert (bulk.context["sessions"], bulk.context["sessions_ended"]) == (ids, 2)
    assert single.connection_id == bulk.connection_id == okta.pk


def test_ending_the_sessions_of_many_people_costs_the_same_statements_for_three_as_for_one(
    system_actor, django_assert_num_queries
):
    people = [UserFactory() for _ in range(3)]
    for person in people:
        session_for(person)

    # lock the index rows, delete sessions, delete index rows, audit (the people are given)
    with django_assert_num_queries(4):
        assert sum(end_sessions_of_people(people, cause="sweep", actor=system_actor).values()) == 3


def test_a_re_sign_in_of_the_same_person_keeps_the_first_sign_in_time(system_actor):
    person, other = UserFactory(), UserFactory()
    first = session_for(person)
    hours_ago = timezone.now() - timedelta(hours=2)
    UserSession.objects.filter(session_key=first).update(created_at=hours_ago)
    someone_elses = session_for(other)
    UserSession.objects.filter(session_key=someone_elses).update(created_at=hours_ago)

    index_session(person, "cycled-key-of-the-same-person", replaces=first)
    index_session(person, "key-taken-over-from-another", replaces=someone_elses)

    assert UserSession.objects.get(session_key="cycled-key-of-the-same-person").created_at == hours_ago
    assert UserSession.objects.get(session_key="key-taken-over-from-another").created_at > hours_ago
