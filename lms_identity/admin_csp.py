"""The admin console's one widening of the Content-Security-Policy.

django-unfold drives its pages with Alpine.js, whose standard build evaluates its `x-` attributes with
`new Function`, which CSP allows only with 'unsafe-eval'. That is granted to admin pages alone (signed-in
staff, our own static scripts); learner pages, SSO pages and the API keep `script-src 'self'` + nonce.
"""

from collections.abc import Callable

from csp.constants import UNSAFE_EVAL
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"


class AdminScriptPolicyMiddleware:
    """Sits inside django-csp's middleware, so the update is applied when the header is built."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX):
            response._csp_update = {"script-src": [UNSAFE_EVAL]}  # type: ignore[attr-defined]
        return response
