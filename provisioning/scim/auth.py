"""Bearer-token authentication: each token belongs to one IdP connection, which scopes every request."""

from django.http import HttpRequest

from lms_identity.models import IdpConnection
from lms_identity.services.tokens import find_connection_for_token


def authenticate(request: HttpRequest) -> IdpConnection | None:
    """The connection whose live token the request presents (RFC 6750 §2.1), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return find_connection_for_token(raw.strip())
