"""SCIM bearer tokens: issued once, stored as a SHA-256 digest, revocable, several per connection.

Rotating a token issues its successor and gives the old one an expiry SCIM_TOKEN_ROTATION_OVERLAP_HOURS
away, so the IdP can be switched over without a gap; the expiry is checked each time a token is
presented (here and in the token cache), so no job has to end it."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lms_identity.errors import InvalidValue
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


def rotation_overlap() -> timedelta:
    return timedelta(hours=max(0, int(settings.SCIM_TOKEN_ROTATION_OVERLAP_HOURS)))


def rotate_scim_token(token: ScimToken, *, actor: Actor, label: str = "") -> tuple[ScimToken, str, ScimToken]:
    """Issue a successor to a live token and make the old one expire after the rotation overlap.

    Locks the old token's row. A revoked, expired or already rotated token is refused (InvalidValue): a
    second rotation would leave two successors and move the old token's expiry. Other processes learn the
    expiry when their token cache entry lapses (SCIM_TOKEN_CACHE_MS), as with a revocation. Writes
    `scim_token.issued` for the successor and `scim_token.rotated` (with the expiry) for the old one.
    Returns (successor, its only plain-text copy, the old token as it now is)."""
    with transaction.atomic():
        old = ScimToken.objects.select_for_update().filter(pk=token.pk).first()
        if old is None or not old.is_active:
            raise InvalidValue("token", "this token is revoked or expired: issue a new one instead")
        if old.expires_at is not None:
            raise InvalidValue("token", "this token was already rotated: its successor is in use")
        successor, raw = issue_scim_token(old.connection, actor=actor, label=label)
        old.expires_at = timezone.now() + rotation_overlap()
        old.save(update_fields=["expires_at"])
        record_event(
            actor,
            "scim_token.rotated",
            old,
            connection_id=old.connection_id,
            context={"successor": successor.hint, "expires_at": old.expires_at.isoformat()},
        )
        # The cache of this process forgets the old token's entry (it carries no expiry yet).
        transaction.on_commit(token_cache.clear)
    return successor, raw, old


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
    connection takes effect within that time in every process; a rotated token's expiry is remembered
    with it, so it stops at its expiry exactly, cached or not."""
    if not raw or len(raw) > 200:
        return None
    digest = digest_token(raw)
    cached = token_cache.get(digest)
    if cached is None:
        token = (
            ScimToken.objects.select_related("connection")
            .filter(digest=digest, revoked_at__isnull=True, connection__enabled=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .first()
        )
        if token is None or not hmac.compare_digest(token.digest, digest):
            return None
        token_cache.remember(
            digest,
            token_id=token.pk,
            connection=token.connection,
            last_used_at=token.last_used_at,
            token_expires_at=token.expires_at,
        )
        token_id, connection, last_used_at = token.pk, token.connection, token.last_used_at
    else:
        token_id, connection, last_used_at = cached.token_id, cached.connection_copy(), cached.last_used_at
    now = timezone.now()
    if last_used_at is None or last_used_at < now - LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token_id).update(last_used_at=now)
        token_cache.touched(digest, now)
    return connection
