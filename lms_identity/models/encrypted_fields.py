"""A text field stored encrypted (see lms_identity.encryption); Python code reads and writes plain text."""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from lms_identity.encryption import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database. The empty string is stored as is (no secret).

    Fernet tokens are randomised, so the column cannot be searched or compared in SQL; compare in Python.
    """

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if not value:
            return value
        return decrypt_text(value)

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        value = super().get_db_prep_save(value, connection)
        if not value:
            return value
        return encrypt_text(value)
