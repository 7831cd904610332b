import pytest

from lms_identity.models.users import Source
from tests.factories import UserFactory

HEADER = "user_name,email,given_name,family_name,employee_number,manager,external_id,active\n"

# A legacy LMS export as it comes: a case duplicate, one person under two emails (twice), an account
# with admin power that has a second account, and people the LMS already has.
MESSY_CSV = HEADER + (
    "jdoe,JANE.DOE@corp.example,Jane,Doe,E1,,,true\n"
    "bob,bob@corp.example,Bob,Stone,,,,true\n"
    "Bob,BOB@Corp.Example,Bob,Stone,,,,true\n"
    "carol,carol@corp.example,Carol,White,E3,,,true\n"
    "carol.w,carol.w@corp.example,Carol,White,E3,,,true\n"
    "dan,dan@corp.example,Dan,Green,,boss@corp.example,,true\n"
    "dan.g,dan.green@corp.example,Dan,Green,,boss,,yes\n"
)


def manual(user_name, email, **fields):
    """An account of no connection, made by hand in the LMS before any IdP."""
    return UserFactory(connection=None, source=Source.MANUAL, user_name=user_name, email=email, **fields)


@pytest.fixture
def legacy():
    return make_legacy()


def make_legacy():
    """The LMS's accounts before SCIM: Jane twice (same employee number), Bob, an orphan nobody's file
    names, and a boss with admin power who has a second, personal account."""
    return {
        "jdoe": manual("jdoe", "Jane.Doe@corp.example", employee_number="E1"),
        "jane_old": manual("jane.doe.old", "jane@oldcorp.example", employee_number="E1"),
        "bob": manual("bob", "bob@corp.example"),
        "orphan": manual("orphan", "orphan@corp.example"),
        "boss": manual("boss", "boss@corp.example", employee_number="B1", is_staff=True),
        "boss_home": manual("boss.home", "boss@home.example", employee_number="B1"),
    }


@pytest.fixture
def messy_file(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_text(MESSY_CSV, encoding="utf-8")
    return path
