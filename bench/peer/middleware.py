from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bench.peer.models import PeerToken


class BearerTokenMiddleware:
    """`Authorization: Bearer <key>` signs the request in as the token's user (one query per request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and key:
            token = PeerToken.objects.select_related("user").filter(key=key.strip()).first()
            if token is not None:
                request.user = token.user
        return self.get_response(request)
