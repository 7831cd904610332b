import io

import pytest
from django.core.management import call_command

from lms_identity.models import AuditEvent, IdpConnection
from lms_identity.services.tokens import digest_token, find_connection_for_token

pytestmark = pytest.mark.django_db


def test_scim_token_prints_a_working_token_alone_on_its_last_line():
    call_command("add_connection", "okta", name="Okta", stdout=io.StringIO())
    out = io.StringIO()

    call_command("scim_token", "okta", stdout=out, stderr=io.StringIO())

    raw = out.getvalue().strip().splitlines()[-1]
    assert find_connection_for_token(raw) == IdpConnection.objects.get(slug="okta")
    assert not IdpConnection.objects.get(slug="okta").scim_tokens.filter(digest=raw).exists()
    assert IdpConnection.objects.get(slug="okta").scim_tokens.get().digest == digest_token(raw)


def test_add_connection_twice_updates_the_name():
    call_command("add_connection", "okta", stdout=io.StringIO())

    call_command("add_connection", "okta", name="Okta prod", stdout=io.StringIO())

    assert IdpConnection.objects.get(slug="okta").name == "Okta prod"


def test_add_connection_turns_adoption_of_existing_accounts_on_and_off_audited():
    call_command("add_connection", "okta", stdout=io.StringIO())

    call_command("add_connection", "okta", adopt_existing_accounts="on", stdout=io.StringIO())
    turned_on = IdpConnection.objects.get(slug="okta").adopt_existing_accounts
    call_command("add_connection", "okta", adopt_existing_accounts="off", stdout=io.StringIO())

    assert turned_on is True and IdpConnection.objects.get(slug="okta").adopt_existing_accounts is False
    changes = (
        AuditEvent.objects.filter(action="connection.updated")
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert list(changes) == [
        {"adopt_existing_accounts": [False, True]},
        {"adopt_existing_accounts": [True, False]},
    ]
