"""Security signals pushed by an IdP: the Shared Signals receiver (Security Event Tokens, RFC 8417,
delivered by push, RFC 8935) and Okta's Universal Logout (Global Token Revocation). Thin edges: verify
the token with the connection's keys, then the security-signals service acts."""

import json
import logging
from typing import Any

import jwt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lms_identity.models import OidcConfig
from lms_identity.services.security_signals import (
    act_on_event,
    resolve_subject,
    revoke_all_sessions,
)

from .signed_tokens import TokenRefused, claim_jti, verify_signed
from .throttle import throttled
from .views import find_config

LOGGER = logging.getLogger(__name__)
SET_TYPES = {"secevent+jwt", "application/secevent+jwt"}
SET_CONTENT_TYPES = {"application/secevent+jwt", "application/jwt"}
# RFC 8935 section 2.4 error codes, by what was wrong with the token.
SET_ERRORS = {"key": "invalid_key", "issuer": "invalid_issuer", "audience": "invalid_audience"}
MAX_BODY = 64 * 1024


@csrf_exempt
@require_POST
@throttled("signals", as_json=True)
def ssf_events(request: HttpRequest, slug: str) -> HttpResponse:
    """Push delivery of one SET: 202 when accepted (unknown events too), else 400 with {"err",
    "description"} (RFC 8935 2.3 and 2.4). A SET acts only once (its jti is remembered)."""
    config = find_config(slug)
    if config is None:
        return _set_error("invalid_request", "no such connection")
    content_type = request.content_type or ""
    if content_type not in SET_CONTENT_TYPES:
        return _set_error("invalid_request", "the body must be application/secevent+jwt")
    token = request.body[:MAX_BODY].decode("ascii", "replace").strip()
    try:
        claims = _verify_set(config, token, _own_urls(request, "ssf/events/"))
    except TokenRefused as refused:
        LOGGER.info("security event refused connection=%s why=%s", slug, refused.description)
        return _set_error(SET_ERRORS.get(refused.kind, refused.error), refused.description)
    for event_type, payload in claims["events"].items():
        # SSF 1.0 puts the subject at the top (sub_id); CAEP and RISC drafts put it in the event.
        subject = claims.get("sub_id") or (payload.get("subject") if isinstance(payload, dict) else None)
        outcome = act_on_event(config, str(event_type), resolve_subject(config, subject))
        LOGGER.info("security event connection=%s type=%s outcome=%s", slug, str(event_type)[:200], outcome)
    return HttpResponse(status=202)


@csrf_exempt
@require_POST
@throttled("signals", as_json=True)
def global_token_revocation(request: HttpRequest, slug: str) -> HttpResponse:
    """Okta Universal Logout: a POST with a JWT bearer signed by the IdP (aud = this URL) and a JSON body
    {"sub_id": {"format": "iss_sub" | "email", ...}}. 204 when the person's sessions are ended, 404 for a
    subject this connection does not know, 400 for a bad body, 401 for a bad token."""
    config = find_config(slug)
    if config is None:
        return _json_error(404, "invalid_request", "no such connection")
    bearer = request.headers.get("Authorization", "")
    if not bearer.startswith("Bearer "):
        return _unauthorized("a Bearer token is required")
    try:
        claims = verify_signed(
            config,
            bearer.removeprefix("Bearer ").strip(),
            audience=_own_urls(request, "global-token-revocation/"),
            require=["iss", "aud", "iat", "exp"],
            error="invalid_token",
        )
        if "jti" in claims:
            claim_jti(config, "universal-logout", claims["jti"], error="invalid_token")
    except TokenRefused as refused:
        LOGGER.info("universal logout refused connection=%s why=%s", slug, refused.description)
        return _unauthorized(refused.description)
    try:
        body = json.loads(request.body[:MAX_BODY] or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("sub_id"), dict):
        return _json_error(400, "invalid_request", "the body must be JSON with a sub_id object")
    ended = revoke_all_sessions(config, resolve_subject(config, body["sub_id"]))
    if ended is None:
        return _json_error(404, "invalid_request", "this connection does not know that subject")
    LOGGER.info("universal logout connection=%s sessions_ended=%d", slug, ended)
    return HttpResponse(status=204)


def _verify_set(config: OidcConfig, token: str, audience: list[str]) -> dict[str, Any]:
    """The claims of a valid SET from this connection's IdP: signed by its keys, its issuer, for us (our
    client id or this URL), explicitly typed secevent+jwt (so no other JWT of the IdP passes for one),
    with events, issued just now, never seen before."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRefused("invalid_request", "the body is not a signed JWT") from None
    if str(header.get("typ", "")).lower() not in SET_TYPES:
        raise TokenRefused("invalid_request", "the token is not typed secevent+jwt")
    claims = verify_signed(
        config,
        token,
        audience=[config.client_id, *audience],
        require=["iss", "aud", "iat", "jti"],
        error="invalid_request",
    )
    events = claims.get("events")
    if not isinstance(events, dict) or not events:
        raise TokenRefused("invalid_request", "the SET has no events")
    claim_jti(config, "ssf", claims["jti"], error="invalid_request")
    return claims


def _own_urls(request: HttpRequest, tail: str) -> list[str]:
    slug = request.resolver_match.kwargs["slug"] if request.resolver_match else ""
    path = f"/sso/{slug}/{tail}"
    return sorted({f"{settings.PUBLIC_URL}{path}", request.build_absolute_uri(path)})


def _set_error(err: str, description: str) -> HttpResponse:
    body = json.dumps({"err": err, "description": description})
    return HttpResponse(body, status=400, content_type="application/json")


def _json_error(status: int, error: str, description: str) -> HttpResponse:
    body = json.dumps({"error": error, "error_description": description})
    return HttpResponse(body, status=status, content_type="application/json")


def _unauthorized(description: str) -> HttpResponse:
    response = _json_error(401, "invalid_token", description)
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
