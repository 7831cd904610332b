"""The reconciler: desired grants from rules, overrides and pools; only the difference is written."""

import pytest

from courses.models import Enrollment, Grant, Progress
from courses.reconcile import list_people_affected_by_rule, reconcile_everyone, reconcile_people
from courses.services.progress import record_progress
from courses.services.rules import update_rule
from lms_identity.models import AuditEvent
from lms_identity.services.groups import add_group_members, remove_group_members
from lms_identity.services.users import deactivate_user, delete_user, update_user
from tests.factories import (
    CourseFactory,
    EntitlementRuleFactory,
    GrantFactory,
    LearningPathFactory,
    OverrideFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def states(user):
    return {(g.key, g.origin_key): g.state for g in Grant.objects.filter(user=user)}


def can_open(user):
    from courses.queries import entitled_course_ids

    return entitled_course_ids(user)


def test_people_already_in_a_group_get_a_new_rules_grants(team):
    group, people = team("Engineering", members=3)
    course = CourseFactory(slug="python-101")

    EntitlementRuleFactory(target=course, groups=[group])

    assert all(can_open(p) == {course.pk} for p in people)
    assert Grant.objects.filter(rule__isnull=False, state="active").count() == 3


def test_people_outside_the_group_get_nothing(team, connection):
    group, _ = team("Engineering", members=1)
    outsider = UserFactory(connection=connection)

    EntitlementRuleFactory(target=CourseFactory(slug="python-101"), groups=[group])

    assert can_open(outsider) == set()


def test_a_second_run_changes_nothing(team, system_actor):
    group, people = team("Engineering", members=2)
    EntitlementRuleFactory(target=CourseFactory(slug="python-101"), groups=[group])
    events = AuditEvent.objects.count()

    summary = reconcile_people([p.pk for p in people], actor=system_actor)

    assert summary == {"people": 2}
    assert AuditEvent.objects.count() == events


def test_each_change_writes_one_audit_event(team):
    group, people = team("Engineering", members=2)

    EntitlementRuleFactory(target=CourseFactory(slug="python-101"), groups=[group])

    events = AuditEvent.objects.filter(action="grant.created")
    assert sorted(e.target_id for e in events) == sorted(str(p.pk) for p in people)
    assert {e.context["target"] for e in events} == {"Python 101"}


def test_a_mover_gains_the_new_teams_course_and_loses_the_old_per_policy(team, system_actor):
    eng, (person,) = team("Engineering", members=1)
    sales, _ = team("Sales")
    eng_course, sales_course, eng_handbook = (
        CourseFactory(slug="python"),
        CourseFactory(slug="negotiation"),
        CourseFactory(slug="handbook"),
    )
    EntitlementRuleFactory(target=eng_course, groups=[eng], removal_policy="revoke")
    EntitlementRuleFactory(target=eng_handbook, groups=[eng], removal_policy="keep")
    EntitlementRuleFactory(target=sales_course, groups=[sales])

    remove_group_members(eng, [person.pk], actor=system_actor)
    add_group_members(sales, [person.pk], actor=system_actor)
    reconcile_people([person.pk], actor=system_actor)

    assert can_open(person) == {sales_course.pk, eng_handbook.pk}
    assert Grant.objects.get(user=person, course=eng_course).state == "revoked"


def test_a_mover_by_department_follows_attribute_rules(connection, system_actor):
    person = UserFactory(connection=connection, department="Engineering")
    eng, research = CourseFactory(slug="python"), CourseFactory(slug="statistics")
    EntitlementRuleFactory(target=eng, conditions=[{"attribute": "department", "values": ["engineering"]}])
    EntitlementRuleFactory(target=research, conditions=[{"attribute": "department", "values": ["Research"]}])

    update_user(person, actor=system_actor, changes={"department": "Research"})
    reconcile_people([person.pk], actor=system_actor)

    assert can_open(person) == {research.pk}
    assert Grant.objects.get(user=person, course=eng).state == "suspended"


def test_custom_attribute_and_hire_window_conditions(connection):
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
    onboarding = CourseFactory(slug="onboarding")

    EntitlementRuleFactory(
        target=onboarding,
        conditions=[{"attribute": "custom_attributes.site", "values": ["oslo"]}],
        hire_within_days=30,
    )

    assert (can_open(newcomer), can_open(veteran), can_open(elsewhere)) == ({onboarding.pk}, set(), set())


def test_a_leaver_loses_access_but_keeps_completions(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group], removal_policy="revoke")
    record_progress(person, course, progress=Progress.COMPLETED, actor=system_actor)

    deactivate_user(person, actor=system_actor)
    summary = reconcile_people([person.pk], actor=system_actor)

    assert summary["revoked"] == 1
    assert Grant.objects.get(user=person, course=course).state == "revoked"
    assert Enrollment.objects.get(user=person, course=course).progress == Progress.COMPLETED


def test_keep_policy_grants_are_suspended_for_a_deactivated_person(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group], removal_policy="keep")

    deactivate_user(person, actor=system_actor)
    reconcile_people([person.pk], actor=system_actor)

    assert Grant.objects.get(user=person, course=course).state == "suspended"


def test_completions_survive_revocation_by_a_rule_change(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    rule = EntitlementRuleFactory(target=course, groups=[group], removal_policy="revoke")
    record_progress(person, course, progress=Progress.COMPLETED, actor=system_actor)

    update_rule(rule, {"enabled": False}, actor=system_actor)

    assert can_open(person) == set()
    enrollment = Enrollment.objects.get(user=person, course=course)
    assert enrollment.progress == Progress.COMPLETED and enrollment.completed_at is not None


def test_a_manual_allow_survives_a_full_recompute(connection, system_actor):
    person = UserFactory(connection=connection)
    course = CourseFactory(slug="python")
    OverrideFactory(user=person, target=course, effect="allow")

    reconcile_everyone(actor=system_actor)

    assert can_open(person) == {course.pk}
    assert Grant.objects.get(user=person).origin == "manual"


def test_a_manual_deny_beats_a_rule_through_a_full_recompute(team, system_actor):
    group, (person, colleague) = team("Engineering", members=2)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group])
    OverrideFactory(user=person, target=course, effect="deny")

    reconcile_everyone(actor=system_actor)

    assert can_open(person) == set()
    assert can_open(colleague) == {course.pk}


def test_an_expired_override_no_longer_counts(connection, system_actor):
    from datetime import timedelta

    from django.utils import timezone

    from courses.models import Override

    person = UserFactory(connection=connection)
    course = CourseFactory(slug="python")
    OverrideFactory(user=person, target=course, effect="allow")
    Override.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    reconcile_people([person.pk], actor=system_actor)

    assert can_open(person) == set()


def test_a_path_grant_opens_every_course_of_the_path(team):
    group, (person,) = team("Engineering", members=1)
    first, second = CourseFactory(slug="basics"), CourseFactory(slug="advanced")

    EntitlementRuleFactory(
        target=LearningPathFactory(slug="backend", courses=[first, second]), groups=[group]
    )

    assert can_open(person) == {first.pk, second.pk}


def test_list_people_affected_by_rule_covers_old_and_new_matches(team, system_actor):
    eng, eng_people = team("Engineering", members=2)
    sales, sales_people = team("Sales", members=1)
    rule = EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[eng])

    update_rule(rule, {"groups": [sales.pk]}, actor=system_actor)

    assert list_people_affected_by_rule(rule) == {p.pk for p in eng_people + sales_people}
    assert {p.pk for p in eng_people if can_open(p)} == set()


def test_a_deleted_person_loses_everything(team, system_actor):
    group, (person,) = team("Engineering", members=1)
    course = CourseFactory(slug="python")
    EntitlementRuleFactory(target=course, groups=[group], removal_policy="suspend")

    delete_user(person, actor=system_actor)
    reconcile_everyone(actor=system_actor)

    assert Grant.objects.get(user=person).state == "suspended"


def test_hr_mapping_grants_a_role_but_never_ld_admin(connection, system_actor):
    from courses.errors import InvalidInput
    from courses.models import RoleTemplate
    from courses.services.roles import add_hr_mapping

    person = UserFactory(connection=connection, department="Engineering")
    manager = RoleTemplate.objects.get(slug="manager")
    add_hr_mapping(actor=system_actor, attribute="department", value="engineering", role=manager)

    with pytest.raises(InvalidInput, match="never granted from HR data"):
        add_hr_mapping(
            actor=system_actor,
            attribute="department",
            value="Engineering",
            role=RoleTemplate.objects.get(slug="ld-admin"),
        )

    assert {g.key for g in Grant.objects.filter(user=person, state="active")} == {f"role:{manager.pk}"}
    person.refresh_from_db()
    assert not person.is_superuser and not person.is_staff


def test_a_rule_touching_many_people_is_left_to_a_worker_through_the_outbox(team, monkeypatch):
    from courses.services import rules as rule_services
    from lms_identity.models import OutboxEvent

    monkeypatch.setattr(rule_services, "SYNC_LIMIT", 2)
    group, people = team("Engineering", members=3)

    rule = EntitlementRuleFactory(target=CourseFactory(slug="python"), groups=[group])

    assert not Grant.objects.exists()
    assert OutboxEvent.objects.filter(kind="rule.changed", payload={"rule_id": rule.pk}).exists()


def test_a_grant_written_by_hand_without_an_override_is_revoked_by_the_next_run(connection, system_actor):
    person = UserFactory(connection=connection)
    grant = GrantFactory(user=person, target=CourseFactory(slug="python"))
    untouched = GrantFactory(user=UserFactory(connection=connection), target=grant.course)

    summary = reconcile_people([person.pk], actor=system_actor)

    assert summary["revoked"] == 1
    assert Grant.objects.get(pk=grant.pk).state == "revoked"
    assert Grant.objects.get(pk=untouched.pk).state == "active"
