import pytest
from django.db import connection

from lms_identity.models import AuditEvent
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_chain import seal_pending

TABLE = AuditEvent._meta.db_table


def tamper(sql, params=()):
    """Change the table as someone with database access would: on PostgreSQL with the trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER lms_audit_append_only")
        cursor.execute(sql.replace("{table}", TABLE), params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER lms_audit_append_only")


@pytest.fixture
def sealed_trail():
    """Ten sealed events; returns them in chain order."""
    actor = Actor.system("tests")
    for i in range(10):
        record_event(actor, "test.event", context={"i": i})
    seal_pending()
    return list(AuditEvent.objects.order_by("seq"))
