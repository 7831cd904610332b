import pytest

from lms_identity.errors import CleanupRefused
from lms_identity.models import AccountMark, AuditEvent, Membership, User
from lms_identity.services.account_cleanup import clear_mark, mark_account, merge_accounts
from tests.factories import GroupFactory, MembershipFactory

from .conftest import manual

pytestmark = pytest.mark.django_db


def test_a_merge_moves_teams_and_reports_fills_blanks_and_deactivates_the_duplicate(system_actor):
    keeper = manual("jdoe", "jane.doe@corp.example", employee_number="")
    duplicate = manual("jane.old", "jane@oldcorp.example", employee_number="E1")
    team = GroupFactory(connection=None)
    MembershipFactory(group=team, user=duplicate)
    report = manual("kid", "kid@corp.example", manager=duplicate)

    merged = merge_accounts(keeper, duplicate, actor=system_actor)

    keeper.refresh_from_db()
    duplicate.refresh_from_db()
    report.refresh_from_db()
    assert merged is True
    assert keeper.employee_number == "E1" and report.manager == keeper
    assert list(Membership.objects.filter(group=team).values_list("user__user_name", flat=True)) == ["jdoe"]
    assert not duplicate.is_active and duplicate.account_mark.merged_into == keeper
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"user.merged", "user.deactivated"}


def test_merging_twice_is_a_no_op(system_actor):
    keeper, duplicate = manual("a", "a@corp.example"), manual("b", "b@corp.example")
    merge_accounts(keeper, duplicate, actor=system_actor)
    events = AuditEvent.objects.count()

    assert merge_accounts(keeper, duplicate, actor=system_actor) is False
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("privileged_side", ["keeper", "duplicate"])
def test_a_privileged_account_is_never_merged(system_actor, privileged_side):
    accounts = {"keeper": manual("a", "a@corp.example"), "duplicate": manual("b", "b@corp.example")}
    accounts[privileged_side].is_staff = True
    accounts[privileged_side].save()

    with pytest.raises(CleanupRefused, match="has admin power"):
        merge_accounts(accounts["keeper"], accounts["duplicate"], actor=system_actor)

    assert User.objects.filter(is_active=True).count() == 2 and not AccountMark.objects.exists()


def test_an_ld_admin_by_role_is_never_merged_either(system_actor, role_holder):
    admin = role_holder("ld-admin", connection=None, user_name="lnd", email="lnd@corp.example")

    with pytest.raises(CleanupRefused, match="has admin power"):
        merge_accounts(manual("a", "a@corp.example"), admin, actor=system_actor)


def test_an_account_an_idp_owns_is_not_merged_away(system_actor, connection):
    owned = manual("b", "b@corp.example")
    owned.connection = connection
    owned.save()

    with pytest.raises(CleanupRefused, match="belongs to an IdP connection"):
        merge_accounts(manual("a", "a@corp.example"), owned, actor=system_actor)


def test_marks_are_audited_repeat_as_no_ops_and_clear(system_actor, connection):
    person = manual("a", "a@corp.example")

    assert mark_account(person, kind="adopt", connection=connection, actor=system_actor) is True
    assert mark_account(person, kind="adopt", connection=connection, actor=system_actor) is False
    assert mark_account(person, kind="keep", actor=system_actor) is True
    assert clear_mark(person, actor=system_actor) is True

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["user.marked", "user.marked", "user.unmarked"]
    assert not AccountMark.objects.exists()


def test_a_privileged_account_is_never_marked_for_adoption(system_actor, connection):
    boss = manual("boss", "boss@corp.example", is_superuser=True)

    with pytest.raises(CleanupRefused, match="never adopted"):
        mark_account(boss, kind="adopt", connection=connection, actor=system_actor)

    assert mark_account(boss, kind="keep", actor=system_actor) is True  # keeping it out is always fine
