"""What a learner and a manager see: My learning, a course page (or a 403 with a reason), the team page."""

import pytest
from django.test import Client

from courses.models import Enrollment, Progress
from courses.services.overrides import set_override
from courses.services.progress import record_progress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_my_learning_lists_entitled_courses_with_progress(team, make_course, make_path, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    python, sql = make_course("python"), make_course("sql")
    make_course("cooking")
    rule_for(python, groups=[group])
    rule_for(make_path("backend", [sql]), groups=[group])
    record_progress(person, python, progress=Progress.IN_PROGRESS, actor=actor)

    page = signed_in(person).get("/learn/").content.decode()

    assert f"Welcome, {person.given_name}" in page
    assert "Python" in page and "In progress" in page
    assert "Backend" in page and "Sql" in page
    assert "Cooking" not in page
    assert "Not started" in page and "Notstarted" not in page


def test_an_entitled_learner_opens_the_course_and_records_progress(team, make_course, rule_for):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(course, groups=[group])
    client = signed_in(person)

    assert client.get("/learn/courses/python/").status_code == 200
    response = client.post("/learn/courses/python/progress/", {"progress": "completed"})

    assert response.status_code == 302
    assert Enrollment.objects.get(user=person, course=course).progress == Progress.COMPLETED


def test_a_learner_cannot_open_a_course_they_are_not_entitled_to_by_url(connection, make_course):
    person = UserFactory(connection=connection)
    make_course("python")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "none of your teams or attributes grants it" in response.content.decode()


def test_a_learner_cannot_record_progress_in_a_course_they_are_not_entitled_to(connection, make_course):
    person = UserFactory(connection=connection)
    make_course("python")

    response = signed_in(person).post("/learn/courses/python/progress/", {"progress": "completed"})

    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_a_learner_cannot_open_a_course_they_are_not_entitled_to_by_api(connection, make_course):
    person = UserFactory(connection=connection)
    make_course("python")

    response = signed_in(person).get("/api/v1/learn/courses/python/")

    assert response.status_code == 403
    assert "none of your teams or attributes grants it" in response.json()["detail"]


def test_an_entitled_learner_gets_the_course_by_api(team, make_course, rule_for):
    group, (person,) = team("Engineering", members=1)
    rule_for(make_course("python"), groups=[group])

    response = signed_in(person).get("/api/v1/learn/courses/python/")

    assert response.status_code == 200
    assert response.json()["progress"] == "not_started"


def test_a_denied_learner_is_told_an_administrator_blocked_it(team, make_course, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(course, groups=[group])
    set_override(person, actor=actor, target_type="course", target=course, effect="deny")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "An administrator has blocked your access" in response.content.decode()


def test_a_course_denied_to_a_learner_stays_closed_when_a_granted_path_holds_it(
    team, make_course, make_path, rule_for, actor
):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(make_path("backend", [course]), groups=[group])
    set_override(person, actor=actor, target_type="course", target=course, effect="deny")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "An administrator has blocked your access" in response.content.decode()


def test_a_suspended_learner_is_told_why(team, make_course, rule_for, actor):
    from courses.reconcile import reconcile_people
    from lms_identity.services.groups import remove_group_members

    group, (person,) = team("Engineering", members=1)
    rule_for(make_course("python"), groups=[group], policy="suspend")
    remove_group_members(group, [person.pk], actor=actor)
    reconcile_people([person.pk], actor=actor)

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "suspended" in response.content.decode()


def test_an_unpublished_course_is_refused_even_when_granted(team, make_course, rule_for):
    group, (person,) = team("Engineering", members=1)
    rule_for(make_course("draft", published=False), groups=[group])

    response = signed_in(person).get("/learn/courses/draft/")

    assert response.status_code == 403
    assert "not published" in response.content.decode()


def test_an_unknown_course_is_404(connection):
    assert signed_in(UserFactory(connection=connection)).get("/learn/courses/nope/").status_code == 404


def test_the_learn_pages_need_a_sign_in(make_course):
    make_course("python")

    assert Client().get("/learn/courses/python/").status_code == 302
    assert Client().get("/api/v1/learn/courses/python/").status_code in (401, 403)


def test_a_manager_sees_direct_and_indirect_reports_with_their_progress(connection, make_course, actor):
    boss = UserFactory(connection=connection, display_name="Boss")
    lead = UserFactory(connection=connection, display_name="Lead", manager=boss)
    engineer = UserFactory(connection=connection, display_name="Engineer", manager=lead)
    UserFactory(connection=connection, display_name="Stranger")
    course = make_course("python")
    set_override(engineer, actor=actor, target_type="course", target=course, effect="allow")
    record_progress(engineer, course, progress=Progress.COMPLETED, actor=actor)

    page = signed_in(boss).get("/learn/team/").content.decode()

    assert "Lead" in page and "Direct" in page
    assert "Engineer" in page and "Indirect (level 2)" in page
    assert "Python: Completed" in page
    assert "Stranger" not in page


def test_a_manager_sees_only_their_own_chain(connection):
    boss = UserFactory(connection=connection, display_name="Boss")
    UserFactory(connection=connection, display_name="Mine", manager=boss)
    other_boss = UserFactory(connection=connection, display_name="Other boss")
    UserFactory(connection=connection, display_name="Theirs", manager=other_boss)

    mine = signed_in(boss).get("/learn/team/").content.decode()
    lead_page = signed_in(UserFactory(connection=connection)).get("/learn/team/").content.decode()

    assert "Mine" in mine and "Theirs" not in mine
    assert "Nobody reports to you" in lead_page


def test_a_loop_in_the_manager_chain_does_not_hang_the_team_page(connection):
    from lms_identity.models import User

    a = UserFactory(connection=connection, display_name="Alpha")
    b = UserFactory(connection=connection, display_name="Beta", manager=a)
    User.objects.filter(pk=a.pk).update(manager=b)  # old data the core would refuse today

    response = signed_in(a).get("/learn/team/")

    assert response.status_code == 200
    assert "Beta" in response.content.decode()


def test_my_learning_names_the_roles_a_person_holds(team, rule_for):
    from courses.models import RoleTemplate
    from courses.queries import capabilities_of

    group, (person,) = team("Managers", members=1)
    rule_for(RoleTemplate.objects.get(slug="manager"), groups=[group])

    page = signed_in(person).get("/learn/").content.decode()

    assert "Your roles: Manager" in page
    assert capabilities_of(person) == {"learn", "view_reports"}
