import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as db

from lms_identity.encryption import SecretUnreadable
from lms_identity.models import AuditEvent, OidcConfig
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import configure_oidc
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

SECRET = "client-secret-that-must-never-show"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _configure(secret=SECRET):
    connection = ConnectionFactory(slug="okta")
    configure_oidc(
        connection,
        actor=Actor.system("tests"),
        changes={"issuer": "https://idp.example.com", "client_id": "lms", "client_secret": secret},
    )
    return connection


def _raw_column():
    with db.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM lms_identity_oidcconfig")
        return cursor.fetchone()[0]


def test_the_database_column_holds_no_readable_client_secret():
    _configure()

    raw = _raw_column()

    assert SECRET not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert OidcConfig.objects.get().client_secret == SECRET


def test_the_audit_trail_records_the_secret_only_as_changed():
    _configure()

    event = AuditEvent.objects.get(action="connection.oidc_created")

    assert SECRET not in str(event.changes)
    assert event.changes["client_secret"] == ["***", "***"]


def test_a_rotated_key_keeps_the_secret_readable_and_the_old_key_can_go(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    _configure()
    under_old = _raw_column()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    call_command("rotate_encryption_key", stdout=io.StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert _raw_column() != under_old
    assert OidcConfig.objects.get().client_secret == SECRET
    assert AuditEvent.objects.filter(action="encryption.secrets_reencrypted").count() == 1


def test_dropping_the_old_key_before_rotating_makes_the_secret_unreadable(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    _configure()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(SecretUnreadable):
        OidcConfig.objects.get()
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_encryption_key", stdout=io.StringIO())


def test_an_empty_secret_is_stored_empty():
    _configure(secret="")

    assert _raw_column() == ""
    assert OidcConfig.objects.get().client_secret == ""
