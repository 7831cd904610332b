"""A learning path's steps change through one service, locked and audited, whether the API or the admin
asks."""

import pytest

from courses.errors import InvalidInput
from courses.models import PathCourse
from courses.services.catalog import set_path_steps
from lms_identity.models import AuditEvent
from tests.factories import CourseFactory, LearningPathFactory

pytestmark = pytest.mark.django_db


def steps_of(path):
    return list(
        PathCourse.objects.filter(path=path).order_by("position").values_list("course__slug", "position")
    )


def step_events(path):
    return list(
        AuditEvent.objects.filter(action="path.steps_changed", target_id=str(path.pk))
        .order_by("pk")
        .values_list("actor_label", "changes")
    )


def test_setting_steps_orders_them_and_records_before_and_after(system_actor):
    basics, advanced, extra = (
        CourseFactory(slug="basics"),
        CourseFactory(slug="advanced"),
        CourseFactory(slug="extra"),
    )
    path = LearningPathFactory(slug="backend", courses=[basics, advanced])

    changed = set_path_steps(path, [extra, basics], actor=system_actor)

    assert changed == ["extra", "basics"]
    assert steps_of(path) == [("extra", 0), ("basics", 1)]
    assert step_events(path) == [("tests", {"courses": [["basics", "advanced"], ["extra", "basics"]]})]


def test_setting_the_same_steps_again_changes_and_records_nothing(system_actor):
    basics, advanced = CourseFactory(slug="basics"), CourseFactory(slug="advanced")
    path = LearningPathFactory(slug="backend", courses=[basics, advanced])

    changed = set_path_steps(path, [basics, advanced], actor=system_actor)

    assert changed == []
    assert steps_of(path) == [("basics", 0), ("advanced", 1)]
    assert step_events(path) == []


def test_a_course_given_twice_is_refused_and_nothing_changes(system_actor):
    basics = CourseFactory(slug="basics")
    path = LearningPathFactory(slug="backend", courses=[basics])

    with pytest.raises(InvalidInput) as refusal:
        set_path_steps(path, [basics, basics], actor=system_actor)

    assert refusal.value.field == "courses"
    assert steps_of(path) == [("basics", 0)]
    assert step_events(path) == []


def test_steps_set_by_the_api_are_audited_as_the_admin_who_sent_them(api):
    CourseFactory(slug="basics"), CourseFactory(slug="advanced")
    api.post("/api/v1/paths/", {"slug": "backend", "title": "Backend", "courses": ["basics"]}, format="json")

    response = api.patch("/api/v1/paths/backend/", {"courses": ["advanced", "basics"]}, format="json")

    assert response.status_code == 200
    path = PathCourse.objects.get(course__slug="advanced").path
    assert steps_of(path) == [("advanced", 0), ("basics", 1)]
    assert [changes for _, changes in step_events(path)] == [
        {"courses": [[], ["basics"]]},
        {"courses": [["basics"], ["advanced", "basics"]]},
    ]
    assert {label for label, _ in step_events(path)} == {"lnd-admin"}


def test_steps_saved_in_the_admin_inline_go_through_the_service(admin_client):
    basics, advanced = CourseFactory(slug="basics"), CourseFactory(slug="advanced")
    path = LearningPathFactory(slug="backend", courses=[basics])
    step = PathCourse.objects.get(path=path)
    form = {
        "slug": "backend",
        "title": "Backend",
        "published": "on",
        "description": "",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "1",
        "steps-0-id": str(step.pk),
        "steps-0-path": str(path.pk),
        "steps-0-position": "5",
        "steps-0-course": str(basics.pk),
        "steps-1-path": str(path.pk),
        "steps-1-position": "1",
        "steps-1-course": str(advanced.pk),
    }

    response = admin_client.post(f"/admin/courses/learningpath/{path.pk}/change/", form)

    assert response.status_code == 302
    assert steps_of(path) == [("advanced", 0), ("basics", 1)]
    assert [changes for _, changes in step_events(path)] == [
        {"courses": [["basics"], ["advanced", "basics"]]}
    ]
