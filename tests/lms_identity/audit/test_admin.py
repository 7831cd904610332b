"""The audit trail in the admin: filtered by person and connection, exported as streamed CSV, verified."""

import csv
import io

import pytest
from django.urls import reverse

from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending
from tests.factories import UserFactory
from tests.lms_identity.audit.conftest import tamper

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:lms_identity_auditevent_changelist")
EXPORT = reverse("admin:lms_identity_auditevent_export")
VERIFY = reverse("admin:lms_identity_auditevent_verify")


@pytest.fixture
def two_people(connection, other_connection):
    ada = UserFactory(connection=connection, display_name="Ada Lovelace")
    eve = UserFactory(connection=other_connection, display_name="=HYPERLINK(evil)")
    record_event(Actor.of_connection(connection), "user.updated", ada, changes={"title": ("A", "B")})
    record_event(Actor.of_connection(other_connection), "user.updated", eve)
    return ada, eve


def _csv(response):
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_list_filters_by_connection(admin_client, two_people, connection):
    page = admin_client.get(CHANGELIST, {"connection": connection.pk}).content.decode()

    assert "Ada Lovelace" in page and "HYPERLINK" not in page


def test_the_list_filters_by_person(admin_client, two_people):
    ada, _ = two_people

    page = admin_client.get(CHANGELIST, {"target_type": "user", "target_id": str(ada.pk)}).content.decode()

    assert "Ada Lovelace" in page and "HYPERLINK" not in page


def test_the_export_streams_only_the_filtered_events_as_csv(admin_client, two_people, connection):
    response = admin_client.get(EXPORT, {"connection": connection.pk})

    rows = _csv(response)
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert [(r["action"], r["target_label"]) for r in rows] == [("user.updated", "Ada Lovelace")]
    assert rows[0]["changes"] == '{"title": ["A", "B"]}'


def test_the_export_neutralises_cells_a_spreadsheet_would_run(admin_client, two_people, other_connection):
    rows = _csv(admin_client.get(EXPORT, {"connection": other_connection.pk}))

    assert rows[0]["target_label"] == "'=HYPERLINK(evil)"


def test_an_export_is_itself_an_audit_event(admin_client, two_people):
    b"".join(admin_client.get(EXPORT, {"action__exact": "user.updated"}).streaming_content)

    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor_type == "admin" and event.context == {"filters": "action__exact=user.updated"}


def test_no_event_can_be_deleted_from_the_admin(admin_client, two_people):
    event = AuditEvent.objects.first()
    url = reverse("admin:lms_identity_auditevent_delete", args=[event.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_verify_page_says_intact_for_an_untouched_chain(admin_client, two_people):
    seal_pending()

    page = admin_client.post(VERIFY).content.decode()

    assert "Intact:" in page and "2 events verified" in page


def test_the_verify_page_names_the_position_of_an_altered_event(admin_client, two_people):
    seal_pending()
    tamper("UPDATE {table} SET action = 'user.nothing' WHERE seq = 2")

    page = admin_client.post(VERIFY).content.decode()

    assert "Broken:" in page and "altered at position 2" in page
