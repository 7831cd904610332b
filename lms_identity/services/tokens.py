"""SCIM bearer tokens: issued once, stored as a SHA-256 digest, revocable, several per connection."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lms_identity.models import IdpConnection, ScimToken

from .audit import Actor, record_event
from .token_cache import tokens as token_cache

TOKEN_PREFIX = "scim_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_scim_token(connection: IdpConnection, *, actor: Actor, label: str = "") -> tuple[ScimToken, str]:
    """Create a token for the connection and return it with its only plain-text copy. Audited."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            connection=connection, digest=digest_token(raw), hint=raw[: len(TOKEN_PREFIX) + 4], label=label
        )
        record_event(actor, "scim_token.issued", token, connection_id=connection.pk)
    return token, raw


def revoke_scim_token(token: ScimToken, *, actor: Actor) -> bool:
    """Revoke a token; a repeat is a no-op. Returns whether anything changed."""
    with transaction.atomic():
        changed = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            record_event(actor, "scim_token.revoked", token, connection_id=token.connection_id)
            # Other processes forget it within SCIM_TOKEN_CACHE_MS; this one at once.
            transaction.on_commit(token_cache.clear)
    return bool(changed)


def find_connection_for_token(raw: str) -> IdpConnection | None:
    """The enabled connection this live token belongs to, or None. Marks the token used (once a minute).

    A live token is remembered for SCIM_TOKEN_CACHE_MS (see token_cache), so a revocation or a disabled
    connection takes effect within that time in every process."""
    if not raw or len(raw) > 200:
        return None
    digest = digest_token(raw)
    cached = token_cache.get(digest)
    if cached is None:
        token = (
            ScimToken.objects.select_related("connection")
            .filter(digest=digest, revoked_at__isnull=True, connection__enabled=True)
            .first()
        )
        if token is None or not hmac.compare_digest(token.digest, digest):
            return None
        token_cache.remember(
            digest, token_id=token.pk, connection=token.connection, last_used_at=token.last_used_at
        )
        token_id, connection, last_used_at = token.pk, token.connection, token.last_used_at
    else:
        token_id, connection, last_used_at = cached.token_id, cached.connection_copy(), cached.last_used_at
    now = timezone.now()
    if last_used_at is None or last_used_at < now - LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token_id).update(last_used_at=now)
        token_cache.touched(digest, now)
    return connection
