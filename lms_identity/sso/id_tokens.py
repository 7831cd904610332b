"""ID token validation, OpenID Connect Core 3.1.3.7, with the connection's own keys and settings."""

import time
from typing import Any

import jwt

from lms_identity.errors import NestedTooDeep, UnstorableText
from lms_identity.json_input import check_json_input
from lms_identity.models import OidcConfig
from lms_identity.services.oidc_config import get_signing_key

from .errors import LoginRefused

LEEWAY_SECONDS = 60  # clock skew allowed on exp, iat, nbf and auth_time
MAX_TOKEN_AGE_SECONDS = 600  # an iat older than this is refused (3.1.3.7 step 10)


def verify_id_token(
    config: OidcConfig, token: str, *, nonce: str | None, max_age: int | None = None
) -> dict[str, Any]:
    """The claims of a valid ID token for this connection, or LoginRefused("token_invalid", why)."""
    if not isinstance(token, str) or not token:
        raise LoginRefused("token_invalid", "no ID token in the token response")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise LoginRefused("token_invalid", "the ID token is not a JWT") from None
    alg = header.get("alg")
    # Step 6/7: only the asymmetric algorithms configured for this connection; never `none`, never HS*.
    if not isinstance(alg, str) or alg not in config.algorithm_list:
        raise LoginRefused("token_invalid", f"signing algorithm {str(alg)[:16]!r} is not accepted")
    kid = header.get("kid")
    key = get_signing_key(config, kid if isinstance(kid, str) else None, alg)
    if key is None:
        raise LoginRefused("token_invalid", "the ID token is signed with a key the IdP does not publish")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=config.client_id,  # step 3: aud contains our client id
            issuer=config.issuer,  # step 2: exactly our issuer
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise LoginRefused("token_invalid", "the ID token has expired") from None
    except jwt.InvalidAudienceError:
        raise LoginRefused("token_invalid", "the ID token was issued for another client (aud)") from None
    except jwt.InvalidIssuerError:
        raise LoginRefused("token_invalid", "the ID token was issued by another issuer (iss)") from None
    except jwt.InvalidSignatureError:
        raise LoginRefused("token_invalid", "the ID token signature does not verify") from None
    except jwt.PyJWTError as exc:
        raise LoginRefused("token_invalid", f"the ID token is invalid ({type(exc).__name__})") from None
    except RecursionError:
        raise LoginRefused("token_invalid", "the ID token's claims nest too deeply") from None
    check_storable_claims(claims, "ID token")
    _check_azp(config, claims)
    now = time.time()
    # PyJWT accepts any iat int() can read ("1700000000"); RFC 7519 2 says a JSON number.
    if not isinstance(claims["iat"], int | float) or isinstance(claims["iat"], bool):
        raise LoginRefused("token_invalid", "the ID token's iat is not a number")
    if claims["iat"] < now - MAX_TOKEN_AGE_SECONDS - LEEWAY_SECONDS:
        raise LoginRefused("token_invalid", "the ID token was issued too long ago (iat)")
    # Step 11: the nonce we sent, bound to this browser's state entry.
    if nonce is None or claims.get("nonce") != nonce:
        raise LoginRefused("token_invalid", "the ID token's nonce does not match this sign-in")
    # Step 12: auth_time against the max_age we asked for.
    if max_age is not None:
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, int | float):
            raise LoginRefused("token_invalid", "max_age was requested but the ID token has no auth_time")
        if auth_time + max_age + LEEWAY_SECONDS < now:
            raise LoginRefused("token_invalid", "the IdP's authentication is older than max_age")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LoginRefused("claims_missing", "the ID token has no subject")
    return claims


def _check_azp(config: OidcConfig, claims: dict[str, Any]) -> None:
    """Steps 4-5: with several audiences azp must be present; when present it must be our client id."""
    aud = claims.get("aud")
    several = isinstance(aud, list) and len(aud) > 1
    azp = claims.get("azp")
    if several and azp is None:
        raise LoginRefused("token_invalid", "the ID token has several audiences and no azp")
    if azp is not None and azp != config.client_id:
        raise LoginRefused("token_invalid", "the ID token was authorized for another client (azp)")


def check_storable_claims(claims: Any, source: str) -> None:
    """Claims end up in the person's row, the session index and the audit trail: a lone surrogate or
    NUL in any of them (or absurd nesting) refuses the sign-in with the refusal page, before any write."""
    try:
        check_json_input(claims)
    except (UnstorableText, NestedTooDeep):
        raise LoginRefused("token_invalid", f"the {source} has a claim that cannot be stored") from None
