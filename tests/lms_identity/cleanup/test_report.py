import pytest

from lms_identity.cleanup.files import read_rows
from lms_identity.cleanup.report import ADMIN_POWER_BLOCK, build_report
from tests.factories import UserFactory

from .conftest import MESSY_CSV

pytestmark = pytest.mark.django_db


def report_of(text, connections=()):
    rows, invalid = read_rows(text.encode())
    return build_report(rows, invalid, connections=list(connections))


def group_with(report, label_part):
    found = [g for g in report.groups if any(label_part in a for a in g.accounts) or label_part in str(g)]
    assert len(found) == 1, report.groups
    return found[0]


def test_the_same_person_under_two_emails_is_one_group_to_merge_keeping_the_older_account(legacy):
    report = report_of(MESSY_CSV)

    jane = group_with(report, "jane@oldcorp.example")
    assert jane.evidence == ["the same employee number"]
    assert jane.keep == "jdoe <Jane.Doe@corp.example>"
    assert jane.merge == ["jane.doe.old <jane@oldcorp.example>"]
    assert jane.lines == [2] and not jane.blocked


def test_a_case_duplicate_in_the_file_lands_on_the_one_existing_account(legacy):
    report = report_of(MESSY_CSV)

    bob_groups = [g for g in report.groups if 3 in g.lines]
    assert bob_groups == []  # both rows name the account bob: an update, no duplicate
    assert report.to_update == 3  # jdoe and bob twice


def test_new_people_under_two_emails_are_grouped_by_employee_number_and_by_name_and_manager(legacy):
    report = report_of(MESSY_CSV)

    rows_only = sorted((g.lines, g.evidence) for g in report.groups if not g.accounts)
    assert rows_only == [
        ([5, 6], ["the same employee number"]),
        ([7, 8], ["the same name and manager"]),
    ]
    assert report.to_create == 4


def test_a_privileged_account_blocks_its_merge(legacy):
    report = report_of(MESSY_CSV)

    boss = group_with(report, "boss@home.example")
    assert boss.blocked == ADMIN_POWER_BLOCK and boss.keep == "" and boss.merge == []
    assert report.blocking


def test_accounts_no_idp_knows_are_those_of_no_connection_no_row_names(legacy, connection):
    linked = UserFactory(user_name="linked", connection=connection)

    report = report_of(MESSY_CSV)

    assert report.unknown_sample == [
        "boss <boss@corp.example>",
        "boss.home <boss@home.example>",
        "jane.doe.old <jane@oldcorp.example>",
        "orphan <orphan@corp.example>",
    ]
    assert linked.user_name not in str(report.unknown_sample)


def test_readiness_counts_what_enabling_scim_would_match_create_and_leave(legacy, adopting_connection):
    report = report_of(MESSY_CSV, [adopting_connection])

    (okta,) = report.readiness
    assert (okta.matched, okta.created, okta.left_unmanaged) == (2, 4, 4)
    assert okta.matched_by == {"userName": 2}
    assert okta.summary == "on enabling SCIM for okta: 2 will be matched, 4 created, 4 left unmanaged"


def test_readiness_with_adoption_off_says_the_existing_accounts_would_be_refused(legacy, connection):
    report = report_of(MESSY_CSV, [connection])

    (okta,) = report.readiness
    assert (okta.matched, okta.refused, okta.created) == (0, 2, 4)
    assert okta.refused_by == {"adoption_off": 2}


def test_readiness_matches_a_linked_person_by_external_id_and_never_adopts_admin_power(
    legacy, adopting_connection
):
    legacy["bob"].connection, legacy["bob"].external_id = adopting_connection, "00u-bob"
    legacy["bob"].save()
    text = MESSY_CSV.replace(
        "bob,bob@corp.example,Bob,Stone,,,,", "bobby,bob@new.example,Bob,Stone,,,00u-bob,"
    )
    text += "boss,boss@corp.example,Big,Boss,B1,,,true\n"

    report = report_of(text, [adopting_connection])

    (okta,) = report.readiness
    assert okta.matched_by == {"externalId": 1, "userName": 2}  # bob by his externalId, then Bob, jdoe
    assert okta.refused_by == {"admin_power": 1}
    assert [m.how for m in okta.sample if m.person == "boss@corp.example"] == ["admin_power"]


def test_the_report_reads_every_account_in_a_fixed_number_of_queries(
    legacy, adopting_connection, django_assert_max_num_queries
):
    rows, invalid = read_rows(MESSY_CSV.encode())

    with django_assert_max_num_queries(6):
        build_report(rows, invalid, connections=[adopting_connection])
