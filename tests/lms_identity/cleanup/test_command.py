import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms_identity.models import AccountMark, AuditEvent, User

from .conftest import HEADER, MESSY_CSV

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    try:
        call_command("import_accounts", *map(str, args), stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def test_a_dry_run_with_a_privileged_duplicate_prints_the_report_and_exits_1_changing_nothing(
    legacy, messy_file, adopting_connection
):
    accounts_before = User.objects.count()

    code, out, error = run(messy_file, "--connection", "okta", "--dry-run")

    assert code == 1 and "problems block the import" in error
    assert "BLOCKED: an account in it has admin power" in out
    assert "merge: keep jdoe <Jane.Doe@corp.example>; deactivate jane.doe.old <jane@oldcorp.example>" in out
    assert "on enabling SCIM for okta: 2 will be matched, 4 created, 4 left unmanaged" in out
    assert User.objects.count() == accounts_before and not AuditEvent.objects.exists()


def test_a_clean_dry_run_exits_0_and_changes_nothing(tmp_path, connection):
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n")

    code, out, _ = run(path, "--dry-run")

    assert code == 0 and "Nothing blocks" in out and "Dry run: nothing was changed." in out
    assert not User.objects.exists()


def without_the_blocking_group(legacy):
    legacy["boss_home"].employee_number = ""
    legacy["boss_home"].save()


def test_without_dry_run_the_import_creates_updates_and_merges(tmp_path, legacy):
    without_the_blocking_group(legacy)
    path = tmp_path / "legacy.csv"
    path.write_text(MESSY_CSV)

    code, out, _ = run(path)

    assert code == 0, out
    assert "Imported: 4 created, 2 updated, 1 unchanged, 0 skipped; 3 merged." in out
    jane_old = User.objects.get(user_name="jane.doe.old")
    assert not jane_old.is_active and jane_old.account_mark.merged_into.user_name == "jdoe"
    survivors = User.objects.filter(is_active=True, given_name__in=["Carol", "Dan"])
    assert sorted(survivors.values_list("user_name", flat=True)) == ["carol", "dan"]
    assert AccountMark.objects.filter(kind="merged").count() == 3
    assert User.objects.get(user_name="dan").manager == legacy["boss"]
    assert AuditEvent.objects.filter(action="user.merged").count() == 6


def test_running_the_import_twice_changes_nothing_more(tmp_path, legacy):
    without_the_blocking_group(legacy)
    path = tmp_path / "legacy.csv"
    path.write_text(MESSY_CSV)
    run(path)
    events = AuditEvent.objects.count()

    code, out, _ = run(path)

    assert code == 0 and "Imported: 0 created, 0 updated, 5 unchanged, 2 skipped; 0 merged." in out
    assert "line 6: skipped: the account was merged into carol" in out
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,mail\n1,a@b.example\n", "missing column(s): user_name, email"),
        (b"\xff\xfe\x00\x01binary", "not a UTF-8 CSV file"),
        ("user_name,email\n\udc80,a@b.example\n".encode("utf-8", "surrogatepass"), "not a UTF-8 CSV"),
    ],
)
def test_an_unreadable_file_exits_2_with_a_sentence(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    code, out, error = run(path, "--dry-run")

    assert code == 2 and message in error and out == ""


def test_a_missing_file_or_unknown_connection_exits_2(tmp_path, messy_file):
    assert run(tmp_path / "nope.csv")[:1] == (2,)
    code, _, error = run(messy_file, "--connection", "nope")
    assert code == 2 and "no connection 'nope'" in error


def test_invalid_rows_block_and_are_listed_by_line(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "ann,not-an-email,,,,,,\n")

    code, out, _ = run(path)

    assert code == 1 and "INVALID line 2: email is not an email address" in out
    assert not User.objects.exists()
