"""What an SSO sign-in recomputes at once: the person's grants (the roles the groups claim just mapped
may give or take) and, from them, their admin access. The core's SSO service calls this through
settings.SIGN_IN_ACCESS_HOOKS, so it imports nothing of `courses`."""

from typing import Any

from lms_identity.services.audit import Actor

from ..reconcile import reconcile_people
from .admin_access import refresh_admin_access

ACTOR = "sso-sign-in"


def refresh_access(user: Any, *, groups_changed: bool) -> None:
    """Reconcile the person's grants when the sign-in changed their groups (otherwise the outbox already
    brought them up to date), then make their staff flag and permissions what their roles give (even when
    no grant changed: a flag set by hand does not survive a sign-in; one read when nothing differs).
    Idempotent; audited by the services it calls."""
    actor = Actor.system(ACTOR)
    if groups_changed:
        reconcile_people([user.pk], actor=actor)
    refresh_admin_access(user.pk, actor=actor)
