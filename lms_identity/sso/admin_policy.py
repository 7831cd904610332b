"""The admin session policy, per connection, on every /admin/ request of an SSO session: a connection can
open the administration only to sign-ins that evidenced MFA (`admin_require_mfa`), and ask for a fresh
interactive sign-in at the IdP once the last one is older than `admin_max_age` seconds, however recent
the learner session's silent re-verification is. Learner pages are not affected. Sessions of no
connection (the break-glass account) have their own window."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from lms_identity.models import OidcConfig

from . import session_keys

ADMIN_PREFIX = "/admin/"
EXEMPT = ("/admin/login/", "/admin/logout/")


class AdminSessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(ADMIN_PREFIX) or request.path.startswith(EXEMPT):
            return self.get_response(request)
        connection_id = request.session.get(session_keys.CONNECTION)
        if connection_id is None or not request.user.is_authenticated:
            return self.get_response(request)
        return self.check(request, connection_id) or self.get_response(request)

    def check(self, request: HttpRequest, connection_id: int) -> HttpResponse | None:
        policy = (
            OidcConfig.objects.filter(connection_id=connection_id)
            .values("admin_require_mfa", "admin_max_age", "connection__slug")
            .first()
        )
        if policy is None:
            return None
        query = urlencode({"prompt": "login", "next": request.get_full_path()})
        again = f"{reverse('sso_login', args=[policy['connection__slug']])}?{query}"
        if policy["admin_require_mfa"] and not request.session.get(session_keys.MFA):
            return render(request, "lms_identity/admin_needs_mfa.html", {"again": again}, status=403)
        max_age = policy["admin_max_age"]
        authenticated = request.session.get(session_keys.AUTHENTICATED_AT) or 0
        if max_age and time.time() - authenticated > max_age:
            return HttpResponseRedirect(again)
        return None
