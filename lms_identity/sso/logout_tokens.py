"""Logout Token validation, OpenID Connect Back-Channel Logout 1.0 section 2.6."""

from dataclasses import dataclass
from typing import Any

from lms_identity.models import OidcConfig

from .signed_tokens import TokenRefused, claim_jti, verify_signed

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ERROR = "invalid_request"


@dataclass(frozen=True)
class LogoutRequest:
    """Whose sessions a valid logout token ends: the IdP session `sid`, all of `sub`, or both."""

    sub: str
    sid: str


def validate_logout_token(config: OidcConfig, token: str) -> LogoutRequest:
    """What a logout token from this connection's IdP asks for, or TokenRefused("invalid_request", why).
    Checks, in the order of section 2.6: signature by the connection's JWKS (never `none` or HS*), iss,
    aud (our client id), iat (recent) and exp, the events claim, sub and/or sid, no nonce; last, the jti
    is claimed, so a refused token never uses up its id and a replay of an accepted one is refused."""
    claims = verify_signed(
        config, token, audience=config.client_id, require=["iss", "aud", "iat", "exp", "jti"], error=ERROR
    )
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise TokenRefused(ERROR, "the events claim has no back-channel logout event")
    sub, sid = _text(claims.get("sub")), _text(claims.get("sid"))
    if not sub and not sid:
        raise TokenRefused(ERROR, "the token names neither sub nor sid")
    if "nonce" in claims:
        # Section 2.4: a logout token must not carry a nonce, so an ID token cannot pass for one.
        raise TokenRefused(ERROR, "a logout token must not contain a nonce")
    claim_jti(config, "backchannel", claims.get("jti"), error=ERROR)
    return LogoutRequest(sub=sub, sid=sid)


def _text(value: Any) -> str:
    return value[:255] if isinstance(value, str) else ""
