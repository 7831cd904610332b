"""Anonymous floods of the SSO endpoints are cut off per client address (issue 9).

A fixed window per (scope, address) counted in Django's cache: Redis when REDIS_URL is set, so every web
process shares the count; the process's own memory otherwise. Signed-in people are not counted. The
address is REMOTE_ADDR: behind a proxy, have the proxy set it (gunicorn's --forwarded-allow-ips), never
trust a header the client writes.
"""

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase

# scope -> the settings naming its (requests, window seconds)
SCOPES = {
    "browser": ("SSO_RATE_LIMIT", "SSO_RATE_WINDOW"),
    "signals": ("SSO_SIGNAL_RATE_LIMIT", "SSO_RATE_WINDOW"),
}


def over_limit(request: HttpRequest, scope: str) -> int:
    """0 when this anonymous request may go on, else the seconds until its window ends."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return 0
    limit_name, window_name = SCOPES[scope]
    limit, window = int(getattr(settings, limit_name)), int(getattr(settings, window_name))
    if limit <= 0:
        return 0
    key = f"sso-rate:{scope}:{request.META.get('REMOTE_ADDR', '-')}"
    if cache.add(key, 1, timeout=window):
        return 0
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 0
    return window if count > limit else 0


def throttled(
    scope: str, *, as_json: bool = False
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Answer 429 with Retry-After (HTML, or an OAuth-style JSON error for server-to-server endpoints)
    once an address has sent more than the scope's limit in its window."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            retry_after = over_limit(request, scope)
            if not retry_after:
                return view(request, *args, **kwargs)
            if as_json:
                body = json.dumps({"error": "slow_down", "error_description": "too many requests"})
                response = HttpResponse(body, status=429, content_type="application/json")
            else:
                text = "Too many sign-in requests from your address. Please wait a minute and try again."
                response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(retry_after)
            response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorate
