"""What the person page shows about one person: where they come from, whether they may sign in and why,
their teams, sessions, SSO sign-ins and audit history. A fixed number of queries per page."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from lms_identity.models import AuditEvent, LoginRecord, Membership, User, UserSession
from lms_identity.models.users import Source

HISTORY_LIMIT = 15
LOGIN_LIMIT = 8

DEACTIVATION_ACTIONS = ("user.deactivated", "user.deleted", "user.deactivation_reason")


@dataclass(frozen=True)
class Origin:
    """Where a person comes from, as a badge: `kind` is idp, jit or manual."""

    kind: str
    label: str


def person_origin(user: User) -> Origin:
    """The person's source badge: the IdP connection that provisions them, SSO just-in-time, or manual."""
    if user.source == Source.SCIM and user.connection_id is not None:
        return Origin("idp", f"IdP: {user.connection}")
    if user.source == Source.JIT:
        via = f" via {user.connection}" if user.connection_id is not None else ""
        return Origin("jit", f"Just-in-time (SSO){via}")
    return Origin("manual", "Manual")


def is_idp_owned(user: User) -> bool:
    """The IdP is the source of truth for this person: the next sync overwrites edits made here."""
    return user.connection_id is not None and user.source == Source.SCIM


def active_state(user: User) -> str:
    """Whether the person may sign in, and why not, in words."""
    if user.deleted_at is not None:
        return f"Deleted on {user.deleted_at:%Y-%m-%d %H:%M} UTC: cannot sign in."
    if not user.is_active:
        when = f" on {user.deactivated_at:%Y-%m-%d %H:%M} UTC" if user.deactivated_at else ""
        return f"Deactivated{when}: cannot sign in."
    return "Active: may sign in."


def deactivation_reason(events: list[AuditEvent]) -> str:
    """Who deactivated the person and why, from their newest deactivation events."""
    for event in events:
        if event.action in DEACTIVATION_ACTIONS:
            reason = event.context.get("reason", "")
            who = f"{event.get_actor_type_display()} {event.actor_label}".strip()
            return f"{who}{': ' + reason if reason else ''} ({event.at:%Y-%m-%d %H:%M} UTC)"
    return ""


def list_person_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("group").order_by("group__display_name")


def list_person_sessions(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).select_related("connection").order_by("-created_at")


def list_person_logins(user: User) -> QuerySet[LoginRecord]:
    return LoginRecord.objects.filter(user=user).select_related("connection").order_by("-at")[:LOGIN_LIMIT]


def list_person_history(user: User) -> QuerySet[AuditEvent]:
    """The audit events about this person, newest first (uses the target index)."""
    return AuditEvent.objects.filter(target_type="user", target_id=str(user.pk)).order_by("-at", "-id")[
        :HISTORY_LIMIT
    ]


def person_overview(user: User) -> dict[str, Any]:
    """Everything the person page shows from the identity core: five queries."""
    history = list(list_person_history(user))
    return {
        "origin": person_origin(user),
        "idp_owned": is_idp_owned(user),
        "active_state": active_state(user),
        "deactivation_reason": "" if user.is_active else deactivation_reason(history),
        "memberships": list(list_person_memberships(user)),
        "sessions": list(list_person_sessions(user)),
        "logins": list(list_person_logins(user)),
        "history": history,
    }
