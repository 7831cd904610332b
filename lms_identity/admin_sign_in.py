"""Throttling of the admin's password sign-in (django-axes): what counts as a failure, and from where.

Per account and per address (AXES_LOCKOUT_PARAMETERS in settings): too many failures for one userName,
from any address, lock that account; too many from one address, for any accounts, lock that address. Only
the admin's password form counts: a refused SSO sign-in also ends in Django's user_login_failed, and must
neither lock an office's shared address out of the admin nor raise a lock-out alert.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.http import HttpRequest


class AdminPasswordFailuresHandler(AxesDatabaseHandler):
    """Axes' database handler, counting failures of requests to the admin site only."""

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        # An SSO sign-in (the callback is no admin request) neither counts nor clears the admin password
        # form's failures; skipping it also spares every SSO sign-in axes' three queries.
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_logged_in(sender, request, user, **kwargs)


def client_address(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the
    address the outermost proxy saw. X-Forwarded-For is read from the right, as each proxy appends the
    address it saw; whatever a client writes there itself stays to the left, unread."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in hops if hop]
    return hops[-count] if len(hops) >= count else remote
