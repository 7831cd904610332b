"""/admin/login/: administrators sign in through SSO (a button per enabled connection, back to /admin/);
the password form is for the break-glass account alone, inside a window a second L&D admin approved.

A password for any other account is refused with a page that points at the SSO buttons; the break-glass
account's correct password without an open approval is refused with a page that says how to ask for one.
Either way the attempt goes through `authenticate`, so django-axes counts the failures."""

import time
from urllib.parse import urlencode

from django.contrib import auth
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import View

from lms_identity.admin_sign_in import client_address
from lms_identity.break_glass_backend import BACKEND_PATH
from lms_identity.errors import BreakGlassRefused
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import use_break_glass
from lms_identity.services.sessions import end_session, index_session

from . import session_keys
from .views import enabled_configs, safe_next

ADMIN_HOME = "/admin/"
TEMPLATE = "lms_identity/admin_login.html"


class AdminLoginView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.user.is_staff:
            return HttpResponseRedirect(self._next(request))
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = auth.authenticate(
            request,
            username=request.POST.get("username", "")[:255],
            password=request.POST.get("password", "")[:1024],
        )
        if user is None:
            error = "Password sign-in is off. Administrators sign in with their organisation below."
            return self._page(request, error=error, status=403)
        address = client_address(request)
        try:
            until = use_break_glass(user, address=address)
        except BreakGlassRefused:
            return render(request, "lms_identity/break_glass_refused.html", status=403)
        # A break-glass sign-in starts a session of its own window: whatever session this browser held
        # (another person's, or the account's from an earlier window, which Django's login would keep
        # under its old key and sign-in time) ends through the session service first, then the browser
        # starts from an empty session.
        if request.user.is_authenticated:
            end_session(
                request.session.session_key, cause=EndCause.REPLACED, actor=Actor.of_user(request.user)
            )
            request.session.flush()
        auth.login(request, user, backend=BACKEND_PATH)
        request.session[session_keys.BREAK_GLASS_UNTIL] = until.timestamp()
        request.session[session_keys.SIGNED_IN_AT] = request.session[session_keys.LAST_SEEN_AT] = time.time()
        request.session.save()
        index_session(
            user,
            request.session.session_key or "",
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip_address=address or None,
        )
        return HttpResponseRedirect(self._next(request))

    def _next(self, request: HttpRequest) -> str:
        return safe_next(request, request.GET.get("next") or request.POST.get("next")) or ADMIN_HOME

    def _page(self, request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
        next_url = self._next(request)
        query = f"?{urlencode({'next': next_url})}"
        options = [
            {"name": c.connection.name, "url": reverse("sso_login", args=[c.connection.slug]) + query}
            for c in enabled_configs().order_by("connection__name")
        ]
        context = {"options": options, "error": error, "next": next_url}
        return render(request, TEMPLATE, context, status=status)
