"""Re-encrypting every stored secret under the first of FIELD_ENCRYPTION_KEYS (a key rotation)."""

from django.apps import apps
from django.db import models, transaction

from lms_identity.models.encrypted_fields import EncryptedTextField

from .audit import Actor, record_event


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with EncryptedTextField columns, with those columns' names."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def reencrypt_secrets(*, actor: Actor) -> dict[str, int]:
    """Decrypt each stored secret with whichever configured key made it and store it again under the first
    key. Returns the rows rewritten per model. One transaction, rows locked in primary-key order; a repeat
    is harmless (new ciphertexts, same secrets). Audited once, with the counts and never a value.
    Raises SecretUnreadable, changing nothing, when a value matches none of the keys."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, names in encrypted_fields():
            rows = model._default_manager.select_for_update().order_by("pk").values_list("pk", *names)
            for pk, *values in rows:
                model._default_manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
            counts[model._meta.label] = len(rows)
        record_event(actor, "encryption.secrets_reencrypted", context={"rows": counts})
    return counts
