"""The identity admin: the connection form's adoption switch, and what the IdP owns is read-only."""

import pytest

from lms_identity.admin import UserAdmin
from lms_identity.idp_attributes import IDP_FIELDS

pytestmark = pytest.mark.django_db


def test_the_connection_form_shows_adopt_existing_accounts_off_by_default(admin_client, connection):
    response = admin_client.get(f"/admin/lms_identity/idpconnection/{connection.pk}/change/")

    assert response.status_code == 200
    field = response.context["adminform"].form["adopt_existing_accounts"]
    assert field.value() is False and "Adopt existing accounts" in response.content.decode()


def test_every_attribute_the_idp_owns_is_read_only_on_a_person():
    assert set(IDP_FIELDS) <= set(UserAdmin.readonly_fields)
