"""An ID token (or userinfo answer) whose claims hold text the database cannot store gets the refusal
page, not a 500, and nobody is created or signed in."""

import pytest

from lms_identity.models import User

from .test_id_tokens import assert_refused, callback

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "claims",
    [
        {"name": "Ada \ud800"},
        {"given_name": "\udfff"},
        {"email": "ada\ud800@acme.test"},
        {"sub": "sub-\ud800"},
        {"groups": ["Engineering", "\ud83d"]},
        {"family_name": "Love\x00lace"},
        {"\ud800": "a claim with an unstorable name"},
    ],
    ids=["name", "given_name", "email", "sub", "groups", "nul", "claim-name"],
)
def test_an_id_token_with_an_unstorable_claim_gets_the_refusal_page(
    client, fake_idp, fake_connection, claims
):
    response = callback(client, fake_idp, **claims)

    assert_refused(response, "token_invalid", "cannot be stored")
    assert not User.objects.exists()


def test_the_same_sign_in_with_storable_claims_goes_through(client, fake_idp, fake_connection):
    response = callback(client, fake_idp, name="Ada \u00e9\U0001f600")

    assert response.status_code == 302
    assert User.objects.get().display_name == "Ada \u00e9\U0001f600"


def test_a_userinfo_answer_with_an_unstorable_claim_gets_the_refusal_page(client, fake_idp, fake_connection):
    # No email in the ID token: the backend asks userinfo for it.
    response = callback(
        client, fake_idp, email=None, userinfo={"sub": "sub-ada", "email": "ada\ud800@acme.test"}
    )

    assert_refused(response, "token_invalid", "userinfo answer has a claim that cannot be stored")
    assert not User.objects.exists()
