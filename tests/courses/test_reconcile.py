"""The reconciler: desired grants from rules, overrides and pools; only the difference is written."""

import pytest

from courses.models import Enrollment, Grant, Progress
from courses.reconcile import list_people_affected_by_rule, reconcile_everyone, reconcile_people
from courses.services.overrides import set_override
from courses.services.progress import record_progress
from courses.services.rules import update_rule
from lms_identity.models import AuditEvent
from lms_identity.services.groups import add_group_members, remove_group_members
from lms_identity.services.users import deactivate_user, delete_user, update_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def states(user):
    return {(g.key, g.origin_key): g.state for g in Grant.objects.filter(user=user)}


def can_open(user):
    from courses.queries import entitled_course_ids

    return entitled_course_ids(user)


def test_people_already_in_a_group_get_a_new_rules_grants(team, make_course, rule_for):
    group, people = team("Engineering", members=3)
    course = make_course("python-101")

    rule_for(course, groups=[group])

    assert all(can_open(p) == {course.pk} for p in people)
    assert Grant.objects.filter(rule__isnull=False, state="active").count() == 3


def test_people_outside_the_group_get_nothing(team, make_course, rule_for, connection):
    group, _ = team("Engineering", members=1)
    outsider = UserFactory(connection=connection)

    rule_for(make_course("python-101"), groups=[group])

    assert can_open(outsider) == set()


def test_a_second_run_changes_nothing(team, make_course, rule_for, actor):
    group, people = team("Engineering", members=2)
    rule_for(make_course("python-101"), groups=[group])
    events = AuditEvent.objects.count()

    summary = reconcile_people([p.pk for p in people], actor=actor)

    assert summary == {"people": 2}
    assert AuditEvent.objects.count() == events


def test_each_change_writes_one_audit_event(team, make_course, rule_for):
    group, people = team("Engineering", members=2)

    rule_for(make_course("python-101"), groups=[group])

    events = AuditEvent.objects.filter(action="grant.created")
    assert sorted(e.target_id for e in events) == sorted(str(p.pk) for p in people)
    assert {e.context["target"] for e in events} == {"Python 101"}


def test_a_mover_gains_the_new_teams_course_and_loses_the_old_per_policy(team, make_course, rule_for, actor):
    eng, (person,) = team("Engineering", members=1)
    sales, _ = team("Sales")
    eng_course, sales_course, eng_handbook = (
        make_course("python"),
        make_course("negotiation"),
        make_course("handbook"),
    )
    rule_for(eng_course, groups=[eng], policy="revoke")
    rule_for(eng_handbook, groups=[eng], policy="keep")
    rule_for(sales_course, groups=[sales])

    remove_group_members(eng, [person.pk], actor=actor)
    add_group_members(sales, [person.pk], actor=actor)
    reconcile_people([person.pk], actor=actor)

    assert can_open(person) == {sales_course.pk, eng_handbook.pk}
    assert Grant.objects.get(user=person, course=eng_course).state == "revoked"


def test_a_mover_by_department_follows_attribute_rules(connection, make_course, rule_for, actor):
    person = UserFactory(connection=connection, department="Engineering")
    eng, research = make_course("python"), make_course("statistics")
    rule_for(eng, conditions=[{"attribute": "department", "values": ["engineering"]}])
    rule_for(research, conditions=[{"attribute": "department", "values": ["Research"]}])

    update_user(person, actor=actor, changes={"department": "Research"})
    reconcile_people([person.pk], actor=actor)

    assert can_open(person) == {research.pk}
    assert Grant.objects.get(user=person, course=eng).state == "suspended"


def test_custom_attribute_and_hire_window_conditions(connection, make_course, rule_for):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    newcomer = UserFactory(
        connection=connection, hire_date=today - timedelta(days=3), custom_attributes={"site": "Oslo"}
    )
    veteran = UserFactory(
        connection=connection, hire_date=today - timedelta(days=400), custom_attributes={"site": "Oslo"}
    )
    elsewhere = UserFactory(connection=connection, hire_date=today, custom_attributes={"site": "Lima"})
    onboarding = make_course("onboarding")

    rule_for(
        onboarding,
        conditions=[{"attribute": "custom_attributes.site", "values": ["oslo"]}],
        hire_within_days=30,
    )

    assert (can_open(newcomer), can_open(veteran), can_open(elsewhere)) == ({onboarding.pk}, set(), set())


def test_a_leaver_loses_access_but_keeps_completions(team, make_course, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(course, groups=[group], policy="revoke")
    record_progress(person, course, progress=Progress.COMPLETED, actor=actor)

    deactivate_user(person, actor=actor)
    summary = reconcile_people([person.pk], actor=actor)

    assert summary["revoked"] == 1
    assert Grant.objects.get(user=person, course=course).state == "revoked"
    assert Enrollment.objects.get(user=person, course=course).progress == Progress.COMPLETED


def test_keep_policy_grants_are_suspended_for_a_deactivated_person(team, make_course, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(course, groups=[group], policy="keep")

    deactivate_user(person, actor=actor)
    reconcile_people([person.pk], actor=actor)

    assert Grant.objects.get(user=person, course=course).state == "suspended"


def test_completions_survive_revocation_by_a_rule_change(team, make_course, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule = rule_for(course, groups=[group], policy="revoke")
    record_progress(person, course, progress=Progress.COMPLETED, actor=actor)

    update_rule(rule, {"enabled": False}, actor=actor)

    assert can_open(person) == set()
    enrollment = Enrollment.objects.get(user=person, course=course)
    assert enrollment.progress == Progress.COMPLETED and enrollment.completed_at is not None


def test_a_manual_allow_survives_a_full_recompute(connection, make_course, actor):
    person = UserFactory(connection=connection)
    course = make_course("python")
    set_override(person, actor=actor, target_type="course", target=course, effect="allow")

    reconcile_everyone(actor=actor)

    assert can_open(person) == {course.pk}
    assert Grant.objects.get(user=person).origin == "manual"


def test_a_manual_deny_beats_a_rule_through_a_full_recompute(team, make_course, rule_for, actor):
    group, (person, colleague) = team("Engineering", members=2)
    course = make_course("python")
    rule_for(course, groups=[group])
    set_override(person, actor=actor, target_type="course", target=course, effect="deny")

    reconcile_everyone(actor=actor)

    assert can_open(person) == set()
    assert can_open(colleague) == {course.pk}


def test_an_expired_override_no_longer_counts(connection, make_course, actor):
    from datetime import timedelta

    from django.utils import timezone

    from courses.models import Override

    person = UserFactory(connection=connection)
    course = make_course("python")
    set_override(person, actor=actor, target_type="course", target=course, effect="allow")
    Override.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    reconcile_people([person.pk], actor=actor)

    assert can_open(person) == set()


def test_a_path_grant_opens_every_course_of_the_path(team, make_course, make_path, rule_for):
    group, (person,) = team("Engineering", members=1)
    first, second = make_course("basics"), make_course("advanced")

    rule_for(make_path("backend", [first, second]), groups=[group])

    assert can_open(person) == {first.pk, second.pk}


def test_list_people_affected_by_rule_covers_old_and_new_matches(team, make_course, rule_for, actor):
    eng, eng_people = team("Engineering", members=2)
    sales, sales_people = team("Sales", members=1)
    rule = rule_for(make_course("python"), groups=[eng])

    update_rule(rule, {"groups": [sales.pk]}, actor=actor)

    assert list_people_affected_by_rule(rule) == {p.pk for p in eng_people + sales_people}
    assert {p.pk for p in eng_people if can_open(p)} == set()


def test_a_deleted_person_loses_everything(team, make_course, rule_for, actor):
    group, (person,) = team("Engineering", members=1)
    course = make_course("python")
    rule_for(course, groups=[group], policy="suspend")

    delete_user(person, actor=actor)
    reconcile_everyone(actor=actor)

    assert Grant.objects.get(user=person).state == "suspended"


def test_hr_mapping_grants_a_role_but_never_ld_admin(connection, actor):
    from courses.errors import InvalidInput
    from courses.models import RoleTemplate
    from courses.services.roles import add_hr_mapping

    person = UserFactory(connection=connection, department="Engineering")
    manager = RoleTemplate.objects.get(slug="manager")
    add_hr_mapping(actor=actor, attribute="department", value="engineering", role=manager)

    with pytest.raises(InvalidInput, match="never granted from HR data"):
        add_hr_mapping(
            actor=actor,
            attribute="department",
            value="Engineering",
            role=RoleTemplate.objects.get(slug="ld-admin"),
        )

    assert {g.key for g in Grant.objects.filter(user=person, state="active")} == {f"role:{manager.pk}"}
    person.refresh_from_db()
    assert not person.is_superuser and not person.is_staff


def test_a_rule_touching_many_people_is_left_to_a_worker_through_the_outbox(
    team, make_course, rule_for, monkeypatch
):
    from courses.services import rules as rule_services
    from lms_identity.models import OutboxEvent

    monkeypatch.setattr(rule_services, "SYNC_LIMIT", 2)
    group, people = team("Engineering", members=3)

    rule = rule_for(make_course("python"), groups=[group])

    assert not Grant.objects.exists()
    assert OutboxEvent.objects.filter(kind="rule.changed", payload={"rule_id": rule.pk}).exists()
