"""The registry of target kinds: each kind's model and field, and the grant keys built and read only here."""

import pytest

from courses.errors import InvalidInput
from courses.models import Course, EntitlementRule, Grant, LicensePool
from courses.targets import (
    FIELDS,
    KINDS,
    check_target,
    find_target,
    get_kind,
    is_seat_key,
    kind_of,
    parse_target_key,
    rule_id_of,
    rule_origin_key,
    set_target,
    target_ids,
    target_key,
)
from tests.factories import CourseFactory, GrantFactory, LicensePoolFactory, RoleTemplateFactory


def test_every_kind_names_a_foreign_key_of_rules_grants_and_overrides():
    rule_fields = {f.name for f in EntitlementRule._meta.get_fields()}

    assert set(KINDS) == {"course", "path", "role", "seat"}
    assert set(FIELDS) <= rule_fields
    assert KINDS["seat"].field == "pool" and KINDS["seat"].model is LicensePool


def test_a_target_key_reads_back_as_its_type_and_id():
    key = target_key("seat", 7)

    assert key == "seat:7"
    assert parse_target_key(key) == ("seat", 7)
    assert is_seat_key(key) and not is_seat_key(target_key("course", 7))


def test_only_a_rule_origin_names_a_rule():
    assert rule_id_of(rule_origin_key(42)) == 42
    assert rule_id_of("hr:42") is None
    assert rule_id_of("manual") is None
    assert rule_id_of("license") is None


def test_a_row_holds_its_target_in_its_kinds_column_only():
    assert target_ids("path", 3) == (None, 3, None, None)
    assert target_ids("seat", 9) == (None, None, None, 9)


@pytest.mark.django_db
def test_setting_a_target_clears_the_other_kinds():
    pool, course = LicensePoolFactory(), CourseFactory()
    rule = EntitlementRule(course=course, target_type="course")

    set_target(rule, "seat", pool)

    assert (rule.target_type, rule.pool, rule.course) == ("seat", pool, None)
    assert rule.target == pool and rule.target_key == f"seat:{pool.pk}"


@pytest.mark.django_db
def test_a_target_of_the_wrong_kind_is_refused_naming_the_field():
    role = RoleTemplateFactory()

    with pytest.raises(InvalidInput) as wrong_kind:
        check_target("course", role)
    with pytest.raises(InvalidInput) as unknown:
        get_kind("badge")
    with pytest.raises(InvalidInput) as unsaved:
        check_target("course", Course(slug="x", title="X"))

    assert (wrong_kind.value.field, wrong_kind.value.message) == (
        "target",
        "the target must be an existing course",
    )
    assert (unknown.value.field, unknown.value.message) == ("target_type", "unknown target type 'badge'")
    assert unsaved.value.field == "target"


@pytest.mark.django_db
def test_kinds_are_found_by_instance_and_by_id():
    pool = LicensePoolFactory()

    assert kind_of(pool).target_type == "seat"
    assert find_target("seat", pool.pk) == pool
    assert find_target("seat", pool.pk + 1) is None


@pytest.mark.django_db
def test_a_grant_written_by_hand_carries_the_key_of_its_target(connection):
    pool = LicensePoolFactory()

    grant = GrantFactory(target=pool)

    stored = Grant.objects.get(pk=grant.pk)
    assert (stored.target_type, stored.key, stored.pool_id, stored.course_id) == (
        "seat",
        f"seat:{pool.pk}",
        pool.pk,
        None,
    )
