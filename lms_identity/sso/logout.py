"""Every logout: ours ("Sign out", RP-initiated at the IdP when it can), the IdP's front channel (an
iframe) and back channel (a server-to-server POST). Thin edges over the session service."""

import json
import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import auth
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lms_identity.models import OidcConfig
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import IdpUnavailable, get_metadata
from lms_identity.services.sessions import (
    end_session,
    end_sessions_by_sid,
    end_sessions_of_subject,
    find_session,
)

from .logout_tokens import validate_logout_token
from .signed_tokens import TokenRefused
from .throttle import throttled
from .views import find_config

LOGGER = logging.getLogger(__name__)
STATE_SALT = "lms_identity.sso.rp_logout"
STATE_MAX_AGE = 15 * 60


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """ "Sign out": end our session, then (OpenID Connect RP-Initiated Logout 1.0) send the browser to the
    IdP's end_session_endpoint with id_token_hint, post_logout_redirect_uri and state, so the IdP session
    ends too. Without an end-session endpoint, sign out here only and say so."""
    key = request.session.session_key
    indexed = find_session(key)
    config = find_config(indexed.connection.slug) if indexed and indexed.connection else None
    endpoint = _end_session_endpoint(config)
    actor = Actor.of_user(request.user) if request.user.is_authenticated else Actor.system("sign-out")
    end_session(key, cause=EndCause.RP_LOGOUT if endpoint else EndCause.LOGOUT, actor=actor)
    auth.logout(request)
    if config is None:
        return HttpResponseRedirect("/login/")
    if endpoint is None:
        return render(
            request, "lms_identity/signed_out.html", {"connection": config.connection, "idp": False}
        )
    slug = config.connection.slug
    query = {
        "client_id": config.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("sso_signed_out", args=[slug])),
        "state": signing.dumps({"c": config.connection_id}, salt=STATE_SALT),
    }
    if indexed is not None and indexed.id_token:
        query["id_token_hint"] = indexed.id_token
    separator = "&" if "?" in endpoint else "?"
    return HttpResponseRedirect(f"{endpoint}{separator}{urlencode(query)}")


@never_cache
def signed_out(request: HttpRequest, slug: str) -> HttpResponse:
    """The post_logout_redirect_uri: says the person is signed out here and, when the state is the one
    our sign-out sent for this connection, at the IdP too. Changes nothing."""
    config = find_config(slug)
    try:
        state = signing.loads(request.GET.get("state", ""), salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        state = None
    at_idp = config is not None and isinstance(state, dict) and state.get("c") == config.connection_id
    context = {"connection": config.connection if config else None, "idp": at_idp}
    return render(request, "lms_identity/signed_out.html", context)


@xframe_options_exempt
@never_cache
@throttled("browser")
def frontchannel_logout(request: HttpRequest, slug: str) -> HttpResponse:
    """OpenID Connect Front-Channel Logout 1.0: the IdP loads this in an iframe with `iss` and `sid`.
    Without both, or with another issuer, it does nothing: a cross-site link must not sign people out.
    With them it ends the sessions of that IdP session, found by the index (the iframe is cross-site, so
    the browser may well not send our cookie)."""
    config = find_config(slug)
    iss, sid = request.GET.get("iss", ""), request.GET.get("sid", "")
    if config is not None and iss and sid and iss == config.issuer:
        end_sessions_by_sid(config.connection, sid, cause=EndCause.FRONTCHANNEL_LOGOUT)
    return HttpResponse("", content_type="text/plain")


@csrf_exempt
@throttled("signals", as_json=True)
def backchannel_logout(request: HttpRequest, slug: str) -> HttpResponse:
    """OpenID Connect Back-Channel Logout 1.0: the IdP POSTs a signed logout token; we end the sessions
    it names (by sid, else every session of its sub signed in through this connection). 200 with
    Cache-Control: no-store, or 400 with an error JSON (section 2.8)."""
    if request.method != "POST":
        return _bcl_error("invalid_request", "use POST", status=405)
    config = find_config(slug)
    if config is None:
        return _bcl_error("invalid_request", "no such connection")
    try:
        wanted = validate_logout_token(config, request.POST.get("logout_token", ""))
    except TokenRefused as refused:
        LOGGER.info("back-channel logout refused connection=%s why=%s", slug, refused.description)
        return _bcl_error(refused.error, refused.description)
    cause = EndCause.BACKCHANNEL_LOGOUT
    if wanted.sid:
        ended = end_sessions_by_sid(config.connection, wanted.sid, cause=cause)
    else:
        ended = end_sessions_of_subject(config.connection, wanted.sub, cause=cause)
    LOGGER.info("back-channel logout connection=%s sessions_ended=%d", slug, ended)
    response = HttpResponse("", status=200)
    response["Cache-Control"] = "no-store"
    return response


def _bcl_error(error: str, description: str, *, status: int = 400) -> HttpResponse:
    body = json.dumps({"error": error, "error_description": description})
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _end_session_endpoint(config: OidcConfig | None) -> str | None:
    if config is None:
        return None
    try:
        metadata: dict[str, Any] = get_metadata(config)
    except IdpUnavailable:
        return None  # the IdP is down: sign out here, and the page says the IdP session may remain
    endpoint = metadata.get("end_session_endpoint")
    return endpoint if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) else None
