"""The sign-in pages: /login/, /sso/SLUG/login/, /sso/SLUG/callback/, /sso/SLUG/initiate/, logout.

Thin edges over mozilla-django-oidc's views: the connection is bound to the login's state entry (with
the nonce, the PKCE verifier and where to land), and every refusal becomes an audit event and an HTML
page with the reason and a retry link.
"""

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.contrib import auth
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from lms_identity.models import IdpConnection, OidcConfig
from lms_identity.models.oidc import MfaPolicy
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import IdpUnavailable, get_metadata
from lms_identity.services.sessions import end_session, end_session_replaced, index_session
from lms_identity.services.sso_logins import record_refusal

from . import session_keys, session_policy
from .backend import BACKEND_PATH
from .errors import LoginRefused

LOGGER = logging.getLogger(__name__)
LANDING = "/learn/"
STATE_TTL_SECONDS = 15 * 60  # a login left this long at the IdP must start again


def enabled_configs() -> QuerySet[OidcConfig]:
    configs = OidcConfig.objects.select_related("connection").filter(connection__enabled=True)
    if not settings.DEMO_MODE:
        configs = configs.exclude(connection__is_demo=True)  # the demo provider exists only in DEMO_MODE
    return configs


def find_config(slug: str) -> OidcConfig | None:
    return enabled_configs().filter(connection__slug=slug).first()


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    """`url` when it is on this site (same host, same or upgraded scheme), else None."""
    if not url or len(url) > 2000:
        return None
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def refusal_page(
    request: HttpRequest,
    refusal: LoginRefused,
    *,
    connection: IdpConnection | None,
    retry: str,
    audit: bool = True,
) -> HttpResponse:
    """Audit the refused attempt (unless `audit` is off: a request nobody started) and render its page
    (4xx, or 502 when the IdP is down)."""
    LOGGER.info("sso login refused connection=%s reason=%s", getattr(connection, "slug", "-"), refusal.reason)
    if audit:
        record_refusal(connection, reason=refusal.reason, detail=refusal.detail, user=refusal.user)
    return render(
        request,
        "lms_identity/sso_error.html",
        {"refusal": refusal, "connection": connection, "retry": retry},
        status=refusal.status,
    )


class LoginPageView(View):
    """Lists the enabled connections and finds the right one from a work email (home-realm discovery)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        email = request.POST.get("email", "").strip()
        next_url = safe_next(request, request.POST.get("next"))
        domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
        match = [c for c in enabled_configs() if domain and domain in c.domain_list]
        if len(match) != 1:
            error = "We do not know a sign-in for that email domain. Choose your organisation below."
            return self._page(request, error=error, email=email, status=404)
        query = {"login_hint": email[:254], **({"next": next_url} if next_url else {})}
        url = reverse("sso_login", args=[match[0].connection.slug])
        return HttpResponseRedirect(f"{url}?{urlencode(query)}")

    def _page(
        self, request: HttpRequest, *, error: str = "", email: str = "", status: int = 200
    ) -> HttpResponse:
        next_url = safe_next(request, request.GET.get("next") or request.POST.get("next")) or ""
        suffix = f"?{urlencode({'next': next_url})}" if next_url else ""
        options = [
            {
                "name": c.connection.name,
                "url": reverse("sso_login", args=[c.connection.slug]) + suffix,
                "demo": c.connection.is_demo,
            }
            for c in enabled_configs().order_by("connection__name")
        ]
        context = {"options": options, "error": error, "email": email, "next": next_url}
        return render(request, "lms_identity/login.html", context, status=status)


class SsoLoginView(OIDCAuthenticationRequestView):
    """Starts the authorization-code flow with PKCE (S256), state and nonce, for one connection."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # not super().__init__: it reads one provider from settings

    def get_settings(self, attr: str, *args: Any) -> Any:  # type: ignore[override]
        per_connection = {
            "OIDC_RP_SCOPES": self.config.scopes,
            "OIDC_USE_NONCE": True,
            "OIDC_USE_PKCE": True,
            "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
            # The base view reverses this name for redirect_uri; get_extra_params puts ours over it.
            "OIDC_AUTHENTICATION_CALLBACK_URL": "login",
        }
        if attr in per_connection:
            return per_connection[attr]
        return super().get_settings(attr, *args)

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:  # type: ignore[override]
        config = find_config(slug)
        if config is None:
            return refusal_page(
                request, LoginRefused("unknown_connection", slug[:64]), connection=None, retry="/login/"
            )
        retry = reverse("sso_login", args=[slug])
        try:
            metadata = get_metadata(config)
        except IdpUnavailable as exc:
            return refusal_page(
                request, LoginRefused("idp_unavailable", str(exc)), connection=config.connection, retry=retry
            )
        self.config = config
        # Silent re-verification (prompt=none) only of a session signed in through this connection.
        self.silent = request.GET.get("prompt") == "none" and (
            request.user.is_authenticated
            and request.session.get(session_keys.CONNECTION) == config.connection_id
        )
        self.OIDC_OP_AUTH_ENDPOINT = metadata["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = config.client_id
        response = super().get(request)
        state = parse_qs(urlparse(response["Location"]).query)["state"][0]
        # Bind the connection (and where to land) to this state entry: the callback trusts only this.
        entry = request.session["oidc_states"][state]
        entry["connection_id"] = config.connection_id
        entry["next"] = safe_next(request, request.GET.get("next"))
        entry["max_age"] = config.max_age
        entry["silent"] = self.silent
        request.session.pop("oidc_login_next", None)
        request.session.modified = True
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, Any]:
        slug = self.config.connection.slug
        params: dict[str, Any] = {
            "redirect_uri": request.build_absolute_uri(reverse("sso_callback", args=[slug]))
        }
        if self.config.mfa_policy == MfaPolicy.REQUIRE_ACR and self.config.acr_list:
            params["acr_values"] = " ".join(self.config.acr_list)
        if self.config.max_age is not None:
            params["max_age"] = str(self.config.max_age)
        # A retry after a refusal asks the IdP to sign in again rather than reuse its session.
        if request.GET.get("prompt") in {"login", "select_account"}:
            params["prompt"] = request.GET["prompt"]
        if self.silent:
            params["prompt"] = "none"  # OpenID Connect Core 3.1.2.1: no page at the IdP, an error instead
        hint = request.GET.get("login_hint", "")
        if hint and len(hint) <= 254:
            params["login_hint"] = hint
        return params


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The redirect URI. The connection comes from the state entry; the URL's slug must agree with it.

    Only a callback with a state entry this browser started is audited: anyone can send a browser here
    with made-up parameters, and that must not fill the audit trail (issue 9)."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:  # type: ignore[override]
        retry = reverse("sso_login", args=[slug]) + "?prompt=login"
        url_config = find_config(slug)
        connection = url_config.connection if url_config else None
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        entry = states.get(state) if isinstance(states, dict) and state else None
        if entry is not None and isinstance(states, dict):
            # One use per state entry, for failures too (replay).
            del states[state]
            request.session.modified = True
            request.session.save()
        ours = (
            entry is not None
            and url_config is not None
            and entry.get("connection_id") == url_config.connection_id
        )
        if request.GET.get("error"):
            if ours and url_config is not None and entry is not None and entry.get("silent"):
                return silent_reverification_failed(request, url_config, entry)
            # A failed sign-in this browser started ends the old session (as mozilla-django-oidc does);
            # a link with someone else's or no state must not sign the learner out (logout CSRF).
            if entry is not None and request.user.is_authenticated:
                end_session(
                    request.session.session_key,
                    cause=EndCause.LOGOUT,
                    actor=Actor.of_user(request.user),
                )
                auth.logout(request)
            code = request.GET.get("error", "")[:64]
            description = request.GET.get("error_description", "")[:200]
            detail = f"{code}: {description}" if description else code
            refusal = LoginRefused("idp_error", detail)
            return refusal_page(request, refusal, connection=connection, retry=retry, audit=ours)
        if not ours:
            why = (
                "no sign-in in progress for this state"
                if entry is None
                else "the state belongs to another connection"
            )
            refusal = LoginRefused("state_mismatch", why)
            return refusal_page(request, refusal, connection=connection, retry=retry, audit=False)
        assert url_config is not None and entry is not None
        if time.time() - float(entry.get("added_on", 0)) > STATE_TTL_SECONDS:
            refusal = LoginRefused("state_mismatch", "the sign-in took too long and expired")
            return refusal_page(request, refusal, connection=connection, retry=retry)
        if not request.GET.get("code"):
            return refusal_page(
                request,
                LoginRefused("token_invalid", "no code in the callback"),
                connection=connection,
                retry=retry,
            )
        # As the base view does: reload the session after the slow part, so parallel tabs are not lost.
        request.session = request.session.__class__(request.session.session_key)
        try:
            user = auth.authenticate(
                request,
                oidc_config=url_config,
                nonce=entry.get("nonce"),
                code_verifier=entry.get("code_verifier"),
                redirect_uri=request.build_absolute_uri(reverse("sso_callback", args=[slug])),
                max_age=entry.get("max_age"),
            )
        except LoginRefused as refusal:
            return refusal_page(request, refusal, connection=connection, retry=retry)
        if user is None:
            return refusal_page(
                request, LoginRefused("token_invalid", "no person"), connection=connection, retry=retry
            )
        self.user = user
        self.next_url = entry.get("next")
        start_session(request, url_config, user, interactive=not entry.get("silent"))
        return HttpResponseRedirect(self.next_url or LANDING)


def start_session(request: HttpRequest, config: OidcConfig, user: Any, *, interactive: bool = True) -> None:
    """Log the person in and index the session with its connection, IdP session, ID token and device.
    A silent re-verification of the same person keeps the session's sign-in time (absolute lifetime);
    another person signing in on this browser ends the previous person's session first."""
    session = request.session
    old_key = session.session_key
    same_person = request.user.is_authenticated and request.user.pk == user.pk
    signed_in_at = session.get(session_keys.SIGNED_IN_AT) if same_person else None
    if end_session_replaced(old_key, current=request.user, incoming=user):
        old_key = None
    signed_in = user.sso_sign_in
    auth.login(request, user, backend=BACKEND_PATH)  # the login receiver stamps a password-style policy
    session[session_keys.CONNECTION] = config.connection_id
    session[session_keys.SID] = signed_in.sid
    session[session_keys.SIGNED_IN_AT] = signed_in_at  # a re-verification keeps the first sign-in's
    session_policy.start_policy(session, config.connection_id, config=config)
    if interactive or session.get(session_keys.AUTHENTICATED_AT) is None:
        session[session_keys.AUTHENTICATED_AT] = time.time()
    session[session_keys.MFA] = signed_in.mfa
    session.save()
    index_session(
        user,
        session.session_key or "",
        connection_id=config.connection_id,
        mfa=signed_in.mfa,
        sid=signed_in.sid,
        id_token=signed_in.id_token,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip_address=request.META.get("REMOTE_ADDR") or None,
        replaces=old_key,
    )


def silent_reverification_failed(
    request: HttpRequest, config: OidcConfig, entry: dict[str, Any]
) -> HttpResponse:
    """The IdP answered a prompt=none re-verification with an error (login_required,
    interaction_required, ...): the person is no longer signed in there, so the session ends here too
    and the browser goes to sign in interactively."""
    if request.user.is_authenticated:
        end_session(
            request.session.session_key,
            cause=EndCause.REVERIFICATION_FAILED,
            actor=Actor.of_connection(config.connection),
        )
        auth.logout(request)
    query = {"next": entry["next"]} if entry.get("next") else {}
    url = reverse("sso_login", args=[config.connection.slug])
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


class InitiateLoginView(View):
    """Third-party-initiated login, OpenID Connect Core 4: the IdP's app tile sends the browser here."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self._initiate(request, slug, request.GET)

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self._initiate(request, slug, request.POST)

    def _initiate(self, request: HttpRequest, slug: str, params: Any) -> HttpResponse:
        config = find_config(slug)
        if config is None:
            return refusal_page(
                request, LoginRefused("unknown_connection", slug[:64]), connection=None, retry="/login/"
            )
        retry = reverse("sso_login", args=[slug])
        if params.get("iss") != config.issuer:
            return refusal_page(
                request,
                LoginRefused("unknown_issuer", "iss is not this connection's issuer"),
                connection=config.connection,
                retry=retry,
            )
        query: dict[str, str] = {}
        for name in ("target_link_uri", "next"):
            value = params.get(name)
            if value:
                if safe_next(request, value) is None:
                    refusal = LoginRefused("unsafe_target", f"{name} is not on this site")
                    return refusal_page(request, refusal, connection=config.connection, retry=retry)
                query["next"] = value
        if params.get("login_hint") and len(params["login_hint"]) <= 254:
            query["login_hint"] = params["login_hint"]
        return HttpResponseRedirect(f"{retry}?{urlencode(query)}" if query else retry)
