"""Password sign-in for the break-glass account only: Django's ModelBackend, refusing every other account.

Everyone else signs in through SSO, so a password set on any other account (an old superuser, a person
made by hand) opens nothing. Permissions are still answered by ModelBackend's has_perm."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from lms_identity.models import BreakGlassAccount

BACKEND_PATH = "lms_identity.break_glass_backend.BreakGlassBackend"


class BreakGlassBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not BreakGlassAccount.objects.filter(user_id=user.pk).exists():
            return None
        return user
