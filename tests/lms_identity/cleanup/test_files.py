import io

import openpyxl
import pytest

from lms_identity.cleanup.files import ImportFileError, RowError, read_rows

from .conftest import HEADER


def xlsx(*rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_reads_like_the_csv():
    content = xlsx(["user_name", "Email", "active"], ["ann", "ann@corp.example", "no"], [None, None, None])

    rows, invalid = read_rows(content, name="accounts.xlsx")

    assert [(r.line, r.user_name, r.email, r.active) for r in rows] == [(2, "ann", "ann@corp.example", False)]
    assert invalid == []


def test_xlsx_numbers_and_empty_header_cells_read_as_a_person_would_expect():
    content = xlsx(["user_name", "email", "employee_number", None, None], ["bo", "bo@corp.example", 1001.0])

    rows, invalid = read_rows(content, name="accounts.xlsx")

    assert [(r.user_name, r.employee_number) for r in rows] == [("bo", "1001")] and invalid == []


def test_a_column_named_twice_is_refused():
    with pytest.raises(ImportFileError, match="a column is named twice"):
        read_rows(b"user_name,email,Email\n")


def test_a_bom_and_blank_lines_are_fine():
    rows, _ = read_rows(("\ufeff" + HEADER + "ann,ann@corp.example,,,,,,\n,,,,,,,\n").encode())

    assert [r.user_name for r in rows] == ["ann"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name;mail\nx;y\n", "missing column(s): user_name, email; unknown column(s): 'name;mail'"),
        (b"user_name,email,shoe_size\n", "unknown column(s): 'shoe_size'"),
        (b"user_name,email\na,a@x.example,extra\n", "a row has more fields than the header row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a UTF-8 CSV file"),
        (b"PK\x03\x04not really a workbook", "not a readable XLSX workbook"),
        (b"", "the file is empty"),
        ("user_name,email\n\udc80x,a@x.example\n".encode("utf-8", "surrogatepass"), "not a UTF-8 CSV"),
    ],
)
def test_a_file_that_is_not_an_accounts_file_gets_a_sentence_not_a_traceback(content, message):
    with pytest.raises(ImportFileError) as refused:
        read_rows(content)

    assert message in str(refused.value)


def test_an_xlsx_with_a_lone_surrogate_is_refused_whole():
    content = xlsx(["user_name", "email"], ["lone", "lone\udc80@corp.example"])

    with pytest.raises(ImportFileError, match="not a readable XLSX workbook"):
        read_rows(content, name="a.xlsx")


def test_bad_rows_are_listed_with_their_line_and_the_good_ones_kept():
    content = xlsx(
        ["user_name", "email", "active"],
        ["ok", "ok@corp.example", "true"],
        ["", "nobody@corp.example", "true"],
        ["mail", "not-an-email", "true"],
        ["maybe", "maybe@corp.example", "perhaps"],
    )

    rows, invalid = read_rows(content, name="a.xlsx")

    assert [r.user_name for r in rows] == ["ok"]
    assert invalid == [
        RowError(3, "user_name is empty"),
        RowError(4, "email is not an email address"),
        RowError(5, "active must be true or false"),
    ]
