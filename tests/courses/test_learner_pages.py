"""What a learner and a manager see: My learning, a course page (or a 403 with a reason), the team page."""

import pytest
from django.test import Client

from courses.models import Enrollment, Progress
from courses.services.progress import record_progress
from tests.factories import (
    CourseFactory,
    EntitlementRuleFactory,
    LearningPathFactory,
    OverrideFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_my_learning_lists_entitled_courses_with_progress(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    python, sql = CourseFactory(slug="python"), CourseFactory(slug="sql")
    CourseFactory(slug="cooking")
    EntitlementRuleFactory(target=python, groups=[group])
    EntitlementRuleFactory(target=LearningPathFactory(slug="backend", courses=[sql]), groups=[group])
    record_progress(person, python, progress=Progress.IN_PROGRESS, actor=system_actor)

    page = signed_in(person).get("/learn/").content.decode()

    assert f"Welcome, {person.given_name}" in page
    assert "Python" in page and "In progress" in page
    assert "Backend" in page and "Sql" in page
    assert "Cooking" not in page
    assert "Not started" in page and "Notstarted" not in page


def test_an_entitled_learner_opens_the_course_and_records_progress(team):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group])
    client = signed_in(person)

    assert client.get("/learn/courses/python/").status_code == 200
    response = client.post("/learn/courses/python/progress/", {"progress": "completed"})

    assert response.status_code == 302
    assert Enrollment.objects.get(user=person, course=course).progress == Progress.COMPLETED


def test_a_learner_cannot_open_a_course_they_are_not_entitled_to_by_url(connection):
    person = UserFactory(connection=connection)
    CourseFactory(slug="python")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "none of your teams or attributes grants it" in response.content.decode()


def test_a_learner_cannot_record_progress_in_a_course_they_are_not_entitled_to(connection):
    person = UserFactory(connection=connection)
    CourseFactory(slug="python")

    response = signed_in(person).post("/learn/courses/python/progress/", {"progress": "completed"})

    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_a_learner_cannot_open_a_course_they_are_not_entitled_to_by_api(connection):
    person = UserFactory(connection=connection)
    CourseFactory(slug="python")

    response = signed_in(person).get("/api/v1/learn/courses/python/")

    assert response.status_code == 403
    assert "none of your teams or attributes grants it" in response.json()["detail"]


def test_an_entitled_learner_gets_the_course_by_api(team):
    group, (person,) = team("Engineering", members=1)
    EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[group])

    response = signed_in(person).get("/api/v1/learn/courses/python/")

    assert response.status_code == 200
    assert response.json()["progress"] == "not_started"


def test_a_denied_learner_is_told_an_administrator_blocked_it(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group])
    OverrideFactory(user=person, target=course, effect="deny")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "An administrator has blocked your access" in response.content.decode()


def test_a_course_denied_to_a_learner_stays_closed_when_a_granted_path_holds_it(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=LearningPathFactory(slug="backend", courses=[course]), groups=[group])
    OverrideFactory(user=person, target=course, effect="deny")

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "An administrator has blocked your access" in response.content.decode()


def test_a_suspended_learner_is_told_why(team, system_actor):
    from courses.reconcile import reconcile_people
    from lms_identity.services.groups import remove_group_members

    group, (person,) = team("Engineering", members=1)
    EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[group], removal_policy="suspend")
    remove_group_members(group, [person.pk], actor=system_actor)
    reconcile_people([person.pk], actor=system_actor)

    response = signed_in(person).get("/learn/courses/python/")

    assert response.status_code == 403
    assert "suspended" in response.content.decode()


def test_an_unpublished_course_is_refused_even_when_granted(team):
    group, (person,) = team("Engineering", members=1)
    EntitlementRuleFactory(target=CourseFactory(slug="draft", published=False), groups=[group])

    response = signed_in(person).get("/learn/courses/draft/")

    assert response.status_code == 403
    assert "not published" in response.content.decode()


def test_an_unknown_course_is_404(connection):
    assert signed_in(UserFactory(connection=connection)).get("/learn/courses/nope/").status_code == 404


def test_the_learn_pages_need_a_sign_in():
    CourseFactory(slug="python")

    assert Client().get("/learn/courses/python/").status_code == 302
    assert Client().get("/api/v1/learn/courses/python/").status_code in (401, 403)


def test_a_manager_sees_direct_and_indirect_reports_with_their_progress(connection, system_actor):
    boss = UserFactory(connection=connection, display_name="Boss")
    lead = UserFactory(connection=connection, display_name="Lead", manager=boss)
    engineer = UserFactory(connection=connection, display_name="Engineer", manager=lead)
    UserFactory(connection=connection, display_name="Stranger")
    course = CourseFactory(slug="python")
    OverrideFactory(user=engineer, target=course, effect="allow")
    record_progress(engineer, course, progress=Progress.COMPLETED, actor=system_actor)

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


def test_my_learning_names_the_roles_a_person_holds(team):
    from courses.models import RoleTemplate
    from courses.queries import capabilities_of

    group, (person,) = team("Managers", members=1)
    EntitlementRuleFactory(target=RoleTemplate.objects.get(slug="manager"), groups=[group])

    page = signed_in(person).get("/learn/").content.decode()

    assert "Your roles: Manager" in page
    assert capabilities_of(person) == {"learn", "view_reports"}
