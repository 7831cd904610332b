"""A clash on a person's unique attribute names it; any other integrity error stays what it is."""

import pytest
from django.db import IntegrityError

from lms_identity.errors import UniquenessConflict
from lms_identity.services.uniqueness import clash_named


def test_a_unique_clash_names_the_attribute_and_not_its_value():
    with pytest.raises(UniquenessConflict, match="external_id is already taken"):
        with clash_named():
            raise IntegrityError(
                'duplicate key value violates unique constraint "user_external_id_per_connection_unique"'
            )


def test_a_foreign_key_violation_is_not_reported_as_a_taken_user_name():
    with pytest.raises(IntegrityError, match="foreign key"):
        with clash_named():
            raise IntegrityError(
                'insert or update on table "lms_identity_user" violates foreign key constraint'
            )
