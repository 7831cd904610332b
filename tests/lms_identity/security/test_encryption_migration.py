import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from lms_identity.encryption import decrypt_text

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("lms_identity", "0006_stored_json_and_unicode_lower")]
AFTER = [("lms_identity", "0007_encrypt_oidc_client_secret")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(db)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_migration_encrypts_secrets_stored_in_plain_text():
    old_apps = _migrate(BEFORE)
    connection = old_apps.get_model("lms_identity", "IdpConnection").objects.create(slug="okta", name="Okta")
    old_apps.get_model("lms_identity", "OidcConfig").objects.create(
        connection=connection, issuer="https://idp.example.com", client_id="lms", client_secret="plain-secret"
    )

    _migrate(AFTER)

    with db.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM lms_identity_oidcconfig")
        raw = cursor.fetchone()[0]
    assert "plain-secret" not in raw
    assert decrypt_text(raw) == "plain-secret"
