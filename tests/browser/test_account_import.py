"""The clean-up import in Chromium: an L&D admin uploads the legacy accounts, reads the dry-run report
and the connection's readiness, applies it, and lands on the run's page."""

import pytest

from lms_identity.models import User
from lms_identity.models.users import Source
from tests.factories import ConnectionFactory, UserFactory
from tests.lms_identity.cleanup.conftest import MESSY_CSV

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_upload_preview_and_apply_a_clean_up_import(console, tmp_path):
    ConnectionFactory(slug="okta", name="Okta", adopt_existing_accounts=True)
    for user_name, email, number in [
        ("jdoe", "Jane.Doe@corp.example", "E1"),
        ("jane.doe.old", "jane@oldcorp.example", "E1"),
        ("bob", "bob@corp.example", ""),
    ]:
        UserFactory(
            connection=None, source=Source.MANUAL, user_name=user_name, email=email, employee_number=number
        )
    file = tmp_path / "legacy.csv"
    file.write_text(MESSY_CSV)

    console.click("text=Import accounts")
    console.wait_for_selector("#import-upload")
    console.set_input_files("#import-file", str(file))
    console.select_option("select[name=connection]", "okta")
    console.click("#import-check")
    console.wait_for_selector("#import-report")
    shoot(console, "account-import-preview")

    readiness = console.inner_text("#readiness-okta")
    assert "On enabling SCIM: 2 will be matched, 4 created" in readiness
    assert "keep jdoe <Jane.Doe@corp.example>; deactivate jane.doe.old" in console.inner_text(
        "#import-duplicates"
    )
    assert User.objects.get(user_name="jane.doe.old").is_active

    console.click("#import-apply")
    console.wait_for_selector("#run-page")
    shoot(console, "account-import-done")

    assert "Imported legacy.csv" in console.inner_text("#run-headline")
    assert not User.objects.get(user_name="jane.doe.old").is_active
