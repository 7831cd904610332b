"""The identity admin: the connection form's adoption switch, and what the IdP owns is read-only."""

import pytest

from lms_identity.admin.people import UserAdmin
from lms_identity.idp_attributes import IDP_FIELDS
from lms_identity.models import AuditEvent, IdpConnection

pytestmark = pytest.mark.django_db


def test_the_connection_form_shows_adopt_existing_accounts_off_by_default(admin_client, connection):
    response = admin_client.get(f"/admin/lms_identity/idpconnection/{connection.pk}/change/")

    assert response.status_code == 200
    field = response.context["adminform"].form["adopt_existing_accounts"]
    assert field.value() is False and "Adopt existing accounts" in response.content.decode()


def test_every_attribute_the_idp_owns_is_read_only_on_a_person():
    assert set(IDP_FIELDS) <= set(UserAdmin.readonly_fields)


def test_turning_adoption_on_in_the_admin_is_audited(admin_client, connection):
    form = {
        "slug": connection.slug,
        "name": connection.name,
        "enabled": "on",
        "adopt_existing_accounts": "on",
        "scim_tokens-TOTAL_FORMS": "0",
        "scim_tokens-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/lms_identity/idpconnection/{connection.pk}/change/", form)

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.adopt_existing_accounts is True
    event = AuditEvent.objects.get(action="connection.updated")
    assert (event.changes, event.actor_label) == ({"adopt_existing_accounts": [False, True]}, "lnd-admin")


def test_a_connection_added_in_the_admin_is_created_through_the_service(admin_client):
    form = {"slug": "entra", "name": "Entra ID", "enabled": "on", "scim_tokens-TOTAL_FORMS": "0"}
    form["scim_tokens-INITIAL_FORMS"] = "0"

    response = admin_client.post("/admin/lms_identity/idpconnection/add/", form)

    assert response.status_code == 302
    created = IdpConnection.objects.get(slug="entra")
    assert (created.name, created.adopt_existing_accounts) == ("Entra ID", False)
    assert AuditEvent.objects.filter(action="connection.created", target_id=str(created.pk)).exists()
