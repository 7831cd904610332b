from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lms_identity.encryption import SecretUnreadable
from lms_identity.services.audit import Actor
from lms_identity.services.encryption_keys import reencrypt_secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS. Run it after putting "
        "a new key first; once it has run, the old keys can be dropped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = reencrypt_secrets(actor=Actor.system("rotate_encryption_key"))
        except SecretUnreadable as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows} row(s) re-encrypted under the first key.")
