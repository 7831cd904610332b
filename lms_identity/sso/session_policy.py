"""The session policy, checked on every request of a signed-in person (issue 13).

- Absolute lifetime: a session older than its connection's `absolute_lifetime` ends, active or not.
- Idle timeout: a session unused for longer than `idle_timeout` ends.
- Break-glass window: a break-glass session ends once its approved window closes (`break_glass_until`,
  set at its sign-in by lms_identity/sso/admin_login.py).
- Re-verification: an SSO session the IdP last vouched for more than `reverify_interval` ago is sent
  through a silent re-authentication (`prompt=none`, as mozilla-django-oidc's SessionRefresh does, but
  per connection); the IdP answering login_required/interaction_required ends it (see the callback).

Sessions of a connection follow its settings, other sessions (admin password sign-in) the SSO_SESSION_*
defaults. Cost: the times live in the session already loaded for the request; the policy values are
copied into the session at sign-in and refreshed, with "last seen" in the session index, at most once a
minute (one small query and one UPDATE then, nothing in between). API and background requests are never
redirected: an ended session gets 401, a session due for re-verification 403 with the URL to refresh at.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from lms_identity.models import IdpConnection, OidcConfig
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.session_expiry import load_policy
from lms_identity.services.sessions import end_session, touch_session

from . import session_keys

TOUCH_EVERY_SECONDS = 60
POLICY = "session_policy"  # [idle, absolute, reverify] seconds, 0 = off
EXEMPT_PREFIXES = ("/sso/", "/login/", "/logout/", "/static/")


def start_policy(session: Any, connection_id: int | None, *, config: OidcConfig | None = None) -> None:
    """Stamp a session that is signing in now: its clocks, and the policy values it will be held to.
    Called at every sign-in, so the first request after it has nothing to write. `config`: the
    connection's OIDC settings when the caller holds them already (the SSO callback), so the policy
    costs no query."""
    now = time.time()
    session[session_keys.SIGNED_IN_AT] = session.get(session_keys.SIGNED_IN_AT) or now
    session[session_keys.LAST_SEEN_AT] = now
    if connection_id is not None:
        session[session_keys.VERIFIED_AT] = now
    session[POLICY] = load_policy(connection_id, config=config)


def is_api_request(request: HttpRequest) -> bool:
    """A request a script or the page's JavaScript makes: it gets a status, never a redirect."""
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or ("json" in accept and "text/html" not in accept)
    )


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(EXEMPT_PREFIXES) or "_auth_user_id" not in request.session:
            return self.get_response(request)
        return self.check(request) or self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = time.time()
        connection_id = session.get(session_keys.CONNECTION)
        signed_in = session.get(session_keys.SIGNED_IN_AT)
        break_glass_until = session.get(session_keys.BREAK_GLASS_UNTIL)
        if break_glass_until is not None and now >= break_glass_until:
            return self.end(request, EndCause.BREAK_GLASS_CLOSED)
        if signed_in is None:  # a session from before this policy: it starts now
            start_policy(session, connection_id)
            return None
        idle, absolute, reverify = session.get(POLICY) or load_policy(connection_id)
        last_seen = session.get(session_keys.LAST_SEEN_AT, signed_in)
        if absolute and now - signed_in > absolute:
            return self.end(request, EndCause.ABSOLUTE_TIMEOUT)
        if idle and now - last_seen > idle:
            return self.end(request, EndCause.IDLE_TIMEOUT)
        # "Last seen" is written at most once a minute, more often only under a very short idle timeout.
        if now - last_seen >= min(TOUCH_EVERY_SECONDS, idle / 4 if idle else TOUCH_EVERY_SECONDS):
            session[session_keys.LAST_SEEN_AT] = now
            session[POLICY] = load_policy(connection_id)
            touch_session(session.session_key or "", at=timezone.now())
        verified = session.get(session_keys.VERIFIED_AT, signed_in)
        if connection_id and reverify and now - verified > reverify:
            return self.reverify(request, connection_id)
        return None

    def end(self, request: HttpRequest, cause: str) -> HttpResponse:
        end_session(request.session.session_key, cause=cause, actor=Actor.system("session-policy"))
        auth.logout(request)
        if is_api_request(request):
            return JsonResponse({"detail": "Your session has ended. Sign in again."}, status=401)
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")

    def reverify(self, request: HttpRequest, connection_id: int) -> HttpResponse | None:
        connection = IdpConnection.objects.filter(pk=connection_id).first()
        if connection is None:
            return self.end(request, EndCause.REVERIFICATION_FAILED)
        query = {"prompt": "none", "next": request.get_full_path()}
        url = f"{reverse('sso_login', args=[connection.slug])}?{urlencode(query)}"
        if is_api_request(request):
            body = {"detail": "Your sign-in needs to be confirmed again.", "refresh_url": url}
            return JsonResponse(body, status=403)
        if request.method != "GET":
            return None  # never lose a form post: the next page load re-verifies
        return HttpResponseRedirect(url)
