"""Tokens an IdP sends us server to server (Back-Channel Logout tokens, Security Event Tokens), verified
with the connection's own keys, and a memory of the `jti`s already accepted (replay)."""

import hashlib
import time
from typing import Any

import jwt
import jwt.types
from django.core.cache import cache

from lms_identity.models import OidcConfig
from lms_identity.services.oidc_config import IdpUnavailable, get_signing_key

LEEWAY_SECONDS = 60
MAX_AGE_SECONDS = 600  # an `iat` older than this is refused, so a jti needs remembering only this long


class TokenRefused(Exception):
    """A signed token we refuse. `error` is the protocol's error code, `description` says why (never the
    token itself)."""

    def __init__(self, error: str, description: str, *, kind: str = "other") -> None:
        self.error = error
        self.description = description
        self.kind = kind  # "key" (signature or key), "issuer", "audience" or "other"
        super().__init__(f"{error}: {description}")


def verify_signed(
    config: OidcConfig, token: str, *, audience: str | list[str] | None, require: list[str], error: str
) -> dict[str, Any]:
    """The claims of a JWT signed by this connection's IdP (an accepted asymmetric algorithm, a key of its
    JWKS), issued by its exact issuer, for `audience` (any one of a list; not checked when None), with the
    `require`d claims
    and an `iat` within the last MAX_AGE_SECONDS. Raises TokenRefused(error, why)."""
    if not isinstance(token, str) or not token or len(token) > 16384:
        raise TokenRefused(error, "no token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRefused(error, "the token is not a signed JWT") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in config.algorithm_list:
        raise TokenRefused(error, f"signing algorithm {str(alg)[:16]!r} is not accepted", kind="key")
    kid = header.get("kid")
    try:
        key = get_signing_key(config, kid if isinstance(kid, str) else None, alg)
    except IdpUnavailable:
        raise TokenRefused(error, "the IdP's keys could not be fetched") from None
    if key is None:
        raise TokenRefused(error, "the token is signed with a key the IdP does not publish", kind="key")
    options: jwt.types.Options = {"require": require, "verify_aud": audience is not None}
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=audience,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options=options,
        )
    except jwt.ExpiredSignatureError:
        raise TokenRefused(error, "the token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenRefused(error, "the token is for another audience (aud)", kind="audience") from None
    except jwt.InvalidIssuerError:
        raise TokenRefused(error, "the token is from another issuer (iss)", kind="issuer") from None
    except jwt.InvalidSignatureError:
        raise TokenRefused(error, "the token's signature does not verify", kind="key") from None
    except jwt.PyJWTError as exc:
        raise TokenRefused(error, f"the token is invalid ({type(exc).__name__})") from None
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise TokenRefused(error, "iat is not a number")
    now = time.time()
    if iat < now - MAX_AGE_SECONDS - LEEWAY_SECONDS or iat > now + LEEWAY_SECONDS:
        raise TokenRefused(error, "the token was not issued just now (iat)")
    return claims


def claim_jti(config: OidcConfig, purpose: str, jti: Any, *, error: str) -> None:
    """Remember this token id; TokenRefused when it was seen before (a replay). Kept in the cache (Redis
    with REDIS_URL, shared by every web process) for as long as its iat is acceptable."""
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise TokenRefused(error, "the token has no jti")
    digest = hashlib.sha256(jti.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"sso-jti:{purpose}:{config.connection_id}:{digest}"
    if not cache.add(key, 1, timeout=MAX_AGE_SECONDS + 2 * LEEWAY_SECONDS):
        raise TokenRefused(error, "this token was already used (jti)")
