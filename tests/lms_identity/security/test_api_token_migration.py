import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection as db

from lms_identity.models import ApiToken, User
from lms_identity.services.api_tokens import find_user_for_api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("lms_identity.migrations.0008_hashed_api_tokens")


@pytest.fixture
def drf_token_table():
    with db.cursor() as cursor:
        user_id_type = User._meta.pk.db_type(db)
        columns = f'"key" varchar(40) PRIMARY KEY, user_id {user_id_type}'
        cursor.execute(f"CREATE TABLE authtoken_token ({columns})")
    yield
    with db.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")


def test_drf_tokens_already_handed_out_keep_working_and_lose_their_plain_text(drf_token_table):
    admin = UserFactory(is_staff=True)
    key = "0123456789abcdef0123456789abcdef01234567"
    with db.cursor() as cursor:
        user_id = User._meta.pk.get_db_prep_value(admin.pk, db)
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s)", [key, user_id])

    migration.hash_drf_tokens(apps, SimpleNamespace(connection=db))  # it uses the editor's connection only

    assert find_user_for_api_token(key) == admin
    assert ApiToken.objects.get().hint == "0123"
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
