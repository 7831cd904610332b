"""Encryption at rest for the few secrets we must be able to read back (an IdP's OIDC client secret).

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) under a MultiFernet: the first key
of settings.FIELD_ENCRYPTION_KEYS encrypts, every key decrypts. Rotating is therefore: put a new key first,
run `python manage.py rotate_encryption_key` (which re-encrypts every stored value under it), then drop the
old key. Never log a value this module handles; errors name the setting, not the secret.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DERIVATION_INFO = b"lms_identity field encryption v1"


class SecretUnreadable(ImproperlyConfigured):
    """A stored value that no configured key decrypts (an old key dropped before the rotation ran)."""


def derive_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY (HKDF-SHA256), for DEBUG and the tests only."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))).decode("ascii")


def check_keys(keys: list[str], *, setting: str) -> list[str]:
    """The keys unchanged when each is a Fernet key; ImproperlyConfigured naming the bad one otherwise."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{setting}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                'make one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`)'
            ) from None
    return keys


def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_text(plain: str) -> str:
    """The value encrypted under the first configured key, as URL-safe text (a Fernet token)."""
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """The plain value of a Fernet token made under any configured key. SecretUnreadable otherwise."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was a key dropped before "
            "`python manage.py rotate_encryption_key` ran?"
        ) from None
