"""Reporting through the admin API: enrollments, completions and grants by course, team and date."""

from datetime import UTC, datetime

import pytest

from courses.models import Enrollment, Grant, Progress
from tests.factories import CourseFactory, GrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def enroll(person, course, *, progress=Progress.ENROLLED, on=None, completed_on=None):
    enrollment = Enrollment.objects.create(user=person, course=course, progress=progress)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        created_at=on or datetime(2026, 1, 5, 9, tzinfo=UTC), completed_at=completed_on
    )
    return enrollment


def rows(response, *fields):
    assert response.status_code == 200, response.content
    return [tuple(row[f] for f in fields) for row in response.json()["results"]]


@pytest.fixture
def school(team):
    """Two courses, an Engineering team of two and one outsider, with enrollments and completions."""
    python, sql = CourseFactory(slug="python"), CourseFactory(slug="sql")
    engineering, (ann, bob) = team("Engineering", members=2)
    outsider = UserFactory(user_name="zoe@example.com")
    enroll(ann, python, progress=Progress.COMPLETED, completed_on=datetime(2026, 2, 10, 23, 59, tzinfo=UTC))
    enroll(bob, python, progress=Progress.IN_PROGRESS, on=datetime(2026, 3, 1, tzinfo=UTC))
    enroll(ann, sql, progress=Progress.COMPLETED, completed_on=datetime(2026, 3, 2, tzinfo=UTC))
    enroll(outsider, python, progress=Progress.COMPLETED, completed_on=datetime(2026, 2, 11, tzinfo=UTC))
    return {"python": python, "sql": sql, "team": engineering, "ann": ann, "bob": bob, "outsider": outsider}


def test_completions_of_a_course_by_a_team_in_a_date_range(api_as, school):
    api = api_as("ld-admin")
    team = school["team"].pk

    response = api.get(f"/api/v1/completions/?course=python&team={team}&since=2026-02-01&until=2026-02-10")

    assert rows(response, "user_name", "course", "progress") == [
        (school["ann"].user_name, "python", "completed")
    ]
    assert response.json()["results"][0]["person"] == str(school["ann"].pk)


def test_the_until_day_is_inclusive_and_the_since_day_too(api_as, school):
    api = api_as("ld-admin")

    feb_11 = api.get("/api/v1/completions/?since=2026-02-11&until=2026-02-11")
    feb_10 = api.get("/api/v1/completions/?until=2026-02-10")

    assert rows(feb_11, "user_name") == [("zoe@example.com",)]
    assert rows(feb_10, "user_name") == [(school["ann"].user_name,)]


def test_enrollments_filter_by_progress_and_enrolment_date(api_as, school):
    api = api_as("ld-admin")

    response = api.get("/api/v1/enrollments/?course=python&progress=in_progress&since=2026-03-01")

    assert rows(response, "user_name", "progress") == [(school["bob"].user_name, "in_progress")]


def test_grants_filter_by_course_team_and_state(api_as, school):
    python, ann, bob = school["python"], school["ann"], school["bob"]
    GrantFactory(user=ann, target=python)
    GrantFactory(user=bob, target=python, state="revoked")
    GrantFactory(user=school["outsider"], target=python)
    GrantFactory(user=ann, target=school["sql"])
    api = api_as("ld-admin")

    response = api.get(f"/api/v1/grants/?course=python&team={school['team'].pk}&state=active")

    assert rows(response, "user_name", "key", "target", "origin", "state") == [
        (ann.user_name, f"course:{python.pk}", str(python), "manual", "active")
    ]


def test_grants_made_in_a_date_range(api_as, school):
    old = GrantFactory(user=school["ann"], target=school["python"])
    GrantFactory(user=school["bob"], target=school["python"])
    Grant.objects.filter(pk=old.pk).update(created_at=datetime(2025, 12, 31, tzinfo=UTC))

    response = api_as("ld-admin").get("/api/v1/grants/?until=2025-12-31")

    assert rows(response, "id") == [(old.pk,)]


def test_a_page_of_completions_costs_the_same_queries_however_many_rows(
    api_as, school, django_assert_num_queries
):
    api = api_as("ld-admin")
    api.get("/api/v1/completions/")
    for n in range(20):
        enroll(UserFactory(), school["python"], progress=Progress.COMPLETED, completed_on=datetime.now(UTC))

    # token and person, the person's permissions (2), the course, the page
    with django_assert_num_queries(5):
        response = api.get("/api/v1/completions/?course=python&page_size=100")

    assert len(response.json()["results"]) == 22


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-02-30", "since"),
        ("until=yesterday", "until"),
        ("since=2026-03-01&until=2026-02-01", "until"),
        ("course=no-such-course", "course"),
        ("team=12345", "team"),
        ("until=9999-12-31&since=0001-01-01", None),
    ],
)
def test_bad_report_filters_are_a_drf_400_naming_the_parameter(api_as, school, query, field):
    response = api_as("ld-admin").get(f"/api/v1/completions/?{query}")

    if field is None:  # the calendar's ends are valid days, not a 500
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert list(response.json()) == [field]


def test_a_bad_grant_state_is_a_400(api_as):
    response = api_as("ld-admin").get("/api/v1/grants/?state=lost")

    assert response.status_code == 400
    assert list(response.json()) == ["state"]


@pytest.mark.parametrize("role", ["auditor", "manager", "instructor"])
def test_reports_need_the_ld_admin_role(api_as, role):
    api = api_as(role)

    assert api.get("/api/v1/enrollments/").status_code == 403
    assert api.get("/api/v1/completions/").status_code == 403
    assert api.get("/api/v1/grants/").status_code == 403
