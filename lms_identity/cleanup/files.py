"""Reading the clean-up file: CSV (UTF-8, with or without a BOM) or XLSX, parsed by tablib through
django-import-export's formats, into AccountRow values checked one by one.

Columns (a header row; names are case-insensitive, order free; user_name and email are required, the
others optional): user_name, email, given_name, family_name, employee_number, manager (the manager's
user_name or email), external_id (the IdP's id for the person, when known), active (true/false,
yes/no, 1/0; empty means true). Any other column is refused, so a wrong file is caught early.
"""

import csv
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from import_export.formats.base_formats import CSV, XLSX
from openpyxl.utils.exceptions import InvalidFileException
from tablib import InvalidDimensions

COLUMNS = (
    "user_name",
    "email",
    "given_name",
    "family_name",
    "employee_number",
    "manager",
    "external_id",
    "active",
)
REQUIRED = ("user_name", "email")
MAX_LENGTHS = {
    "user_name": 255,
    "email": 254,
    "given_name": 150,
    "family_name": 150,
    "employee_number": 100,
    "manager": 255,
    "external_id": 255,
}
TRUE = {"", "true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}
XLSX_MAGIC = b"PK\x03\x04"
# What openpyxl raises for a damaged workbook (a cell with a lone surrogate is invalid XML: ParseError).
XLSX_ERRORS = (BadZipFile, InvalidFileException, KeyError, OSError, ParseError, StopIteration, ValueError)


class ImportFileError(Exception):
    """The file cannot be read as a clean-up file at all (not CSV or XLSX, wrong columns): a sentence
    for the operator, never a traceback."""


@dataclass(frozen=True)
class AccountRow:
    line: int  # the row's line in the file (the header is line 1)
    user_name: str
    email: str
    given_name: str = ""
    family_name: str = ""
    employee_number: str = ""
    manager: str = ""
    external_id: str = ""
    active: bool = True

    @property
    def email_key(self) -> str:
        # lower(), not casefold(): the database's unique indexes and SCIM's lookups compare Lower().
        return self.email.lower()

    @property
    def user_name_key(self) -> str:
        return self.user_name.lower()


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


def read_rows(content: bytes, *, name: str = "") -> tuple[list[AccountRow], list[RowError]]:
    """The file's rows, and the rows that cannot be imported with why. Raises ImportFileError when the
    file is not a readable CSV or XLSX with the expected columns."""
    dataset = _dataset(content, name)
    headers = [str(h or "").strip().lower() for h in (dataset.headers or [])]
    _check_headers(headers)
    rows: list[AccountRow] = []
    errors: list[RowError] = []
    for index, values in enumerate(dataset, start=2):
        record = {h: _text(v) for h, v in zip(headers, values, strict=False) if h}
        if not any(record.values()):
            continue
        try:
            rows.append(_row(index, record))
        except ValueError as exc:
            errors.append(RowError(index, str(exc)))
    return rows, errors


def _dataset(content: bytes, name: str) -> Any:
    if content.startswith(XLSX_MAGIC) or name.lower().endswith(".xlsx"):
        try:
            return XLSX().create_dataset(content)
        except XLSX_ERRORS as exc:
            raise ImportFileError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"not a UTF-8 CSV file: undecodable bytes at offset {exc.start} (save it as CSV UTF-8, or XLSX)"
        ) from None
    if "\x00" in text:
        raise ImportFileError("not a CSV file: it contains NUL characters (a binary file?)")
    if not text.strip():
        raise ImportFileError("the file is empty: expected a header row naming the columns")
    try:
        return CSV().create_dataset(text)
    except InvalidDimensions:
        raise ImportFileError("not a readable CSV file: a row has more fields than the header row") from None
    except (csv.Error, ValueError) as exc:
        raise ImportFileError(f"not a readable CSV file ({exc})") from None


def _check_headers(headers: list[str]) -> None:
    unknown = [h for h in headers if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in headers]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing column(s): " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s): " + ", ".join(repr(u[:40]) for u in unknown[:5]))
        raise ImportFileError("; ".join(parts) + ". Expected columns: " + ", ".join(COLUMNS))
    named = [h for h in headers if h]
    if len(set(named)) != len(named):
        raise ImportFileError("a column is named twice in the header row")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an XLSX number cell: employee number 1001, not "1001.0"
    return str(value).strip()


def _row(line: int, record: dict[str, str]) -> AccountRow:
    for field, value in record.items():
        if "\x00" in value or not _encodable(value):
            raise ValueError(f"{field} contains a character that cannot be stored")
        if len(value) > MAX_LENGTHS.get(field, 255):
            raise ValueError(f"{field} is longer than {MAX_LENGTHS.get(field, 255)} characters")
    if not record.get("user_name"):
        raise ValueError("user_name is empty")
    email = record.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError("email is not an email address") from None
    active = record.get("active", "").lower()
    if active not in TRUE | FALSE:
        raise ValueError("active must be true or false")
    return AccountRow(
        line=line,
        user_name=record["user_name"],
        email=email,
        given_name=record.get("given_name", ""),
        family_name=record.get("family_name", ""),
        employee_number=record.get("employee_number", ""),
        manager=record.get("manager", ""),
        external_id=record.get("external_id", ""),
        active=active in TRUE,
    )


def _encodable(value: str) -> bool:
    # A lone surrogate (from an XLSX cell or a badly converted file) cannot be stored as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
