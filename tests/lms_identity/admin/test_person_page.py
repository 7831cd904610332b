"""The person page: where a person comes from, whether they may sign in and why, their teams, sessions,
sign-ins and history; ending sessions and deactivating through the services; nothing deletable."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from lms_identity.models import AuditEvent, LoginRecord, User, UserSession
from lms_identity.models.users import Source
from lms_identity.services.audit import Actor
from lms_identity.services.users import deactivate_user
from tests.factories import GroupFactory, MembershipFactory, UserFactory, session_for

pytestmark = pytest.mark.django_db

# session, admin user, the person with their connection (twice: change_view and the form), memberships,
# sessions, sign-ins, history, grants (the courses section), open alerts for the banner, and the admin's
# own machinery.
PERSON_PAGE_QUERIES = 10


def person_url(user):
    return f"/admin/lms_identity/user/{user.pk}/change/"


def test_the_person_page_shows_source_teams_sessions_sign_ins_and_history(admin_client, connection):
    person = UserFactory(connection=connection, source=Source.SCIM, display_name="Ada Lovelace")
    MembershipFactory(group=GroupFactory(connection=connection, display_name="Engineering"), user=person)
    session_for(person)
    LoginRecord.objects.create(connection=connection, user=person, mfa_evidenced=True, acr="urn:mfa")
    AuditEvent.objects.create(
        actor_type="admin",
        actor_label="lnd",
        action="user.updated",
        target_type="user",
        target_id=str(person.pk),
        changes={"title": ["", "Engineer"]},
    )

    page = admin_client.get(person_url(person)).content.decode()

    assert 'data-source="idp"' in page and "IdP: Okta" in page
    assert "Active: may sign in." in page
    assert "Engineering" in page and "Teams (1)" in page
    assert "Active sessions (1)" in page and "End session" in page
    assert "urn:mfa" in page
    assert "title:" in page and "Engineer" in page
    assert "the next SCIM sync overwrites them" in page


def test_custom_attributes_show_as_their_json(admin_client, connection):
    person = UserFactory(connection=connection, custom_attributes={"region": "EU", "jobLevel": "7"})

    page = admin_client.get(person_url(person)).content.decode()

    assert "{&quot;jobLevel&quot;: &quot;7&quot;, &quot;region&quot;: &quot;EU&quot;}" in page


def test_a_just_in_time_and_a_manual_person_get_their_own_badges(admin_client):
    jit = UserFactory(connection=None, source=Source.JIT)
    manual = UserFactory(connection=None, source=Source.MANUAL)

    jit_page = admin_client.get(person_url(jit)).content.decode()
    manual_page = admin_client.get(person_url(manual)).content.decode()

    assert 'data-source="jit"' in jit_page and "the next SCIM sync" not in jit_page
    assert 'data-source="manual"' in manual_page


def test_a_deactivated_person_shows_who_deactivated_them_and_why(admin_client, connection):
    person = UserFactory(connection=connection)
    deactivate_user(person, actor=Actor.of_connection(connection), reason="left the company")

    page = admin_client.get(person_url(person)).content.decode()

    assert "Deactivated on" in page and "cannot sign in" in page
    assert "left the company" in page


def test_every_field_is_read_only_and_nothing_can_be_deleted(admin_client, connection):
    person = UserFactory(connection=connection, display_name="Ada")

    page = admin_client.get(person_url(person)).content.decode()
    post = admin_client.post(person_url(person), {"display_name": "Renamed"})
    delete = admin_client.get(f"/admin/lms_identity/user/{person.pk}/delete/")
    changelist = admin_client.get("/admin/lms_identity/user/").content.decode()

    assert 'name="display_name"' not in page
    assert post.status_code == 403 and User.objects.get(pk=person.pk).display_name == "Ada"
    assert delete.status_code == 403
    assert "delete_selected" not in changelist and 'value="deactivate"' in changelist


def test_end_session_ends_that_session_only_and_is_audited(admin_client, connection):
    person = UserFactory(connection=connection)
    ended, kept = session_for(person), session_for(person)

    response = admin_client.post(
        f"/admin/lms_identity/user/{person.pk}/end-session/", {"session_key": ended}, follow=True
    )

    assert "Session ended" in response.content.decode()
    assert not Session.objects.filter(session_key=ended).exists()
    assert Session.objects.filter(session_key=kept).exists()
    assert AuditEvent.objects.filter(action="session.ended", target_id=str(person.pk)).count() == 1


def test_end_session_with_another_persons_session_ends_nothing(admin_client, connection):
    person, other = UserFactory(connection=connection), UserFactory(connection=connection)
    theirs = session_for(other)

    admin_client.post(f"/admin/lms_identity/user/{person.pk}/end-session/", {"session_key": theirs})

    assert Session.objects.filter(session_key=theirs).exists()
    assert not AuditEvent.objects.filter(action="session.ended").exists()


def test_end_all_sessions_ends_every_session_of_the_person(admin_client, connection):
    person, other = UserFactory(connection=connection), UserFactory(connection=connection)
    session_for(person), session_for(person)
    others = session_for(other)

    admin_client.post(f"/admin/lms_identity/user/{person.pk}/end-all-sessions/")

    assert not UserSession.objects.filter(user=person).exists()
    assert Session.objects.filter(session_key=others).exists()


def test_ending_sessions_is_a_post_only_action(admin_client, connection):
    person = UserFactory(connection=connection)
    session_for(person)

    response = admin_client.get(f"/admin/lms_identity/user/{person.pk}/end-all-sessions/")

    assert response.status_code == 405
    assert UserSession.objects.filter(user=person).exists()


def test_deactivate_button_locks_the_person_out_with_the_reason(admin_client, connection):
    person = UserFactory(connection=connection)
    key = session_for(person)

    admin_client.post(f"/admin/lms_identity/user/{person.pk}/deactivate/", {"reason": "contract ended"})

    assert not User.objects.get(pk=person.pk).is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.get(action="user.deactivated").context["reason"] == "contract ended"


def test_a_staff_member_without_change_permission_cannot_end_sessions(client, connection):
    viewer = UserFactory(connection=None, source=Source.MANUAL, is_staff=True)
    person = UserFactory(connection=connection)
    session_for(person)
    client.force_login(viewer)

    response = client.post(f"/admin/lms_identity/user/{person.pk}/end-all-sessions/")

    assert response.status_code == 403
    assert UserSession.objects.filter(user=person).exists()


def _queries(client, url):
    with CaptureQueriesContext(db) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_person_page_runs_the_same_queries_however_many_teams_sessions_and_events(
    admin_client, connection
):
    small, big = UserFactory(connection=connection), UserFactory(connection=connection)
    for n in range(6):
        MembershipFactory(group=GroupFactory(connection=connection), user=big)
        session_for(big)
        LoginRecord.objects.create(connection=connection, user=big)
    _queries(admin_client, person_url(small))  # warm the content-type and permission caches

    assert _queries(admin_client, person_url(small)) == _queries(admin_client, person_url(big))


def test_person_page_query_count_is_pinned(admin_client, connection, django_assert_num_queries):
    person = UserFactory(connection=connection)
    session_for(person)
    admin_client.get(person_url(person))

    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        admin_client.get(person_url(person))
