"""Admin API tokens: bound to a person with admin access, issued once, stored as a SHA-256 digest,
revocable. A token stops working the moment its person is deactivated; what it may do is checked on each
request by the API's permission classes (so losing admin access ends what the token can do too)."""

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from lms_identity.errors import InvalidValue
from lms_identity.models import ApiToken, User

from .audit import Actor, record_event
from .tokens import LAST_USED_RESOLUTION, digest_token

TOKEN_PREFIX = "lms_"
MAX_TOKEN_LENGTH = 200


def can_hold_api_token(user: User) -> bool:
    """Only an active person with admin access may hold a token (the API refuses everyone else anyway)."""
    return user.is_active and user.is_staff


def issue_api_token(user: User, *, actor: Actor, label: str = "") -> tuple[ApiToken, str]:
    """Create a token for the person and return it with its only plain-text copy. Audited (never the key).
    Raises InvalidValue when the person may not hold one."""
    if not can_hold_api_token(user):
        raise InvalidValue("user", f"{user.user_name} has no admin access, so the API would refuse a token")
    if len(label) > 100:
        raise InvalidValue("label", "the label must be at most 100 characters")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, digest=digest_token(raw), hint=raw[: len(TOKEN_PREFIX) + 4], label=label
        )
        record_event(actor, "api_token.issued", token, context={"user": user.pk, "label": label})
    return token, raw


def revoke_api_token(token: ApiToken, *, actor: Actor) -> bool:
    """Revoke a token; a repeat is a no-op. Returns whether anything changed. Audited."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            record_event(actor, "api_token.revoked", token, context={"user": token.user_id})
    return bool(changed)


def find_user_for_api_token(raw: str) -> User | None:
    """The active person holding this live token, or None. Marks the token used (once a minute)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    digest = digest_token(raw)
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
