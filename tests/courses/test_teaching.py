"""An instructor sees the learners and progress of the courses they are assigned to, and nothing else."""

import pytest

from courses.models import Enrollment, Progress
from courses.services.instructors import assign_instructor, unassign_instructor
from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

TESTS = Actor.system("tests")


@pytest.fixture
def classes():
    """Two courses with a learner each."""
    python, sql = CourseFactory(title="Python"), CourseFactory(title="SQL")
    ann = UserFactory(display_name="Ann Python")
    sam = UserFactory(display_name="Sam Sql")
    Enrollment.objects.create(user=ann, course=python, progress=Progress.IN_PROGRESS)
    Enrollment.objects.create(user=sam, course=sql, progress=Progress.COMPLETED)
    return python, sql


def test_an_instructor_sees_only_the_learners_of_their_courses(client, role_holder, classes):
    python, _ = classes
    teacher = role_holder("instructor")
    assign_instructor(python, teacher, actor=TESTS)
    client.force_login(teacher)

    page = client.get("/learn/teaching/").content.decode()

    assert "Ann Python" in page and "In progress" in page
    assert "Sam Sql" not in page and "SQL" not in page


def test_an_instructor_has_no_admin_access(client, role_holder):
    teacher = role_holder("instructor")
    client.force_login(teacher)

    assert not teacher.is_staff
    assert client.get("/admin/").status_code == 302


def test_assigned_to_a_course_without_the_instructor_role_shows_nothing(client, classes):
    python, _ = classes
    person = UserFactory()
    assign_instructor(python, person, actor=TESTS)
    client.force_login(person)

    response = client.get("/learn/teaching/")

    assert response.status_code == 403
    assert "Ann Python" not in response.content.decode()


def test_unassigned_the_instructor_no_longer_sees_the_course(client, role_holder, classes):
    python, _ = classes
    teacher = role_holder("instructor")
    assign_instructor(python, teacher, actor=TESTS)
    unassign_instructor(python, teacher, actor=TESTS)
    client.force_login(teacher)

    assert "Ann Python" not in client.get("/learn/teaching/").content.decode()
    assert AuditEvent.objects.filter(action="course.instructor_unassigned").count() == 1
