"""The break-glass account: the one local account with a password, usable only with a second admin's
approval.

- `create_break_glass_account` makes it once (a superuser: the owner-level account no IdP grants).
- An L&D admin files a request (reason, minutes up to settings.BREAK_GLASS_MAX_MINUTES); a different
  L&D admin, signed in through SSO, approves it; the window runs from the approval.
- `use_break_glass` claims the approval with a conditional UPDATE at the password sign-in: single use,
  and only inside the window. Every use and every refused attempt is audited and raises an alert (an
  outbox event provisioning turns into one; the core cannot import provisioning).
- The session it opens ends when the window closes: the session policy refuses it on its first request
  past `window_ends_at` (stored in the session at sign-in), and `close_break_glass_windows`, run by beat
  every minute, closes each passed window (never usable again) and ends the account's sessions that no
  open window covers, through the session service (cause break_glass_closed), idle browser or not.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from lms_identity.errors import BreakGlassRefused
from lms_identity.models import BreakGlassAccount, BreakGlassRequest, User
from lms_identity.models.sessions import EndCause

from . import outbox
from .audit import Actor, record_event
from .sessions import end_sessions_of

APPROVE_PERMISSION = "lms_identity.change_breakglassrequest"
USED = "break_glass.used"
REFUSED = "break_glass.refused"
CLOSED = "break_glass.closed"


def create_break_glass_account(user_name: str, email: str, password: str, *, actor: Actor) -> User:
    """Create the break-glass account (a superuser of no connection). There is only ever one: raises
    BreakGlassRefused when it exists or the name is taken. Audited (never the password)."""
    if len(password) < settings.BREAK_GLASS_MIN_PASSWORD_LENGTH:
        raise BreakGlassRefused(
            "weak_password",
            f"use a password of at least {settings.BREAK_GLASS_MIN_PASSWORD_LENGTH} characters",
        )
    with transaction.atomic():
        if BreakGlassAccount.objects.select_for_update().exists():
            raise BreakGlassRefused("exists", "a break-glass account exists already")
        if User.objects.filter(user_name__iexact=user_name).exists():
            raise BreakGlassRefused("taken", f"{user_name} is taken")
        user = User.objects.create_superuser(user_name, email, password)
        BreakGlassAccount.objects.create(user=user)
        record_event(actor, "break_glass.account_created", user)
    return user


def is_break_glass(user: User) -> bool:
    return BreakGlassAccount.objects.filter(user_id=user.pk).exists()


def request_break_glass(*, requester: User, reason: str, minutes: int, actor: Actor) -> BreakGlassRequest:
    """File a request to use the break-glass account. Raises BreakGlassRefused on a missing reason or a
    window longer than settings.BREAK_GLASS_MAX_MINUTES. Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise BreakGlassRefused("reason", "say why the break-glass account is needed")
    if not 1 <= minutes <= settings.BREAK_GLASS_MAX_MINUTES:
        raise BreakGlassRefused(
            "minutes", f"the window must be 1 to {settings.BREAK_GLASS_MAX_MINUTES} minutes"
        )
    with transaction.atomic():
        request = BreakGlassRequest.objects.create(reason=reason, minutes=minutes, requested_by=requester)
        record_event(actor, "break_glass.requested", request, context={"minutes": minutes})
    return request


def approve_break_glass(
    request: BreakGlassRequest, *, approver: User, signed_in_via_sso: bool, actor: Actor
) -> BreakGlassRequest:
    """Approve a pending request: the window opens now for `minutes`. Only an L&D admin signed in through
    SSO who is not the requester (and not the break-glass account) may approve; a request is approved
    once. Raises BreakGlassRefused. Locks the request. Audited."""
    if not signed_in_via_sso:
        raise BreakGlassRefused("not_sso", "approve only when signed in through single sign-on")
    if is_break_glass(approver) or not approver.has_perm(APPROVE_PERMISSION):
        raise BreakGlassRefused("not_allowed", "only an L&D admin may approve break-glass requests")
    with transaction.atomic():
        request = BreakGlassRequest.objects.select_for_update().get(pk=request.pk)
        if request.requested_by_id == approver.pk:
            raise BreakGlassRefused("own_request", "a second L&D admin must approve your request")
        if request.approved_at is not None:
            raise BreakGlassRefused("already_approved", "this request is approved already")
        now = timezone.now()
        request.approved_by = approver
        request.approved_at = now
        request.window_ends_at = now + timedelta(minutes=request.minutes)
        request.save(update_fields=["approved_by", "approved_at", "window_ends_at"])
        record_event(
            actor,
            "break_glass.approved",
            request,
            context={
                "requested_by": str(request.requested_by_id),
                "until": request.window_ends_at.isoformat(),
            },
        )
    return request


def use_break_glass(user: User, *, address: str | None) -> datetime:
    """Claim the approval for a password sign-in of the break-glass account and return when its window
    ends. One conditional UPDATE: two sign-ins racing for one approval, one wins. Audited and alerted,
    refused attempts too; raises BreakGlassRefused("not_approved") without a usable approval."""
    now = timezone.now()
    with transaction.atomic():
        open_requests = BreakGlassRequest.objects.filter(
            approved_at__isnull=False, used_at__isnull=True, closed_at__isnull=True, window_ends_at__gt=now
        ).order_by("window_ends_at", "pk")
        for request in open_requests[:5]:
            unclaimed = BreakGlassRequest.objects.filter(
                pk=request.pk, used_at__isnull=True, closed_at__isnull=True
            )
            if unclaimed.update(used_at=now):
                _record_attempt(user, USED, request, address)
                assert request.window_ends_at is not None
                return request.window_ends_at
    with transaction.atomic():
        _record_attempt(user, REFUSED, None, address)
    raise BreakGlassRefused("not_approved", "no approved break-glass request is open")


def close_break_glass_windows(*, actor: Actor) -> dict[str, int]:
    """Close every approved window that has passed and end the break-glass account's sessions that no
    open window covers (those that started before the earliest used window still open, or all of them).

    Idempotent: a closed window is not closed again and a repeat finds no session to end. One
    transaction; locks the passed requests (primary-key order), then the session index rows it ends.
    Writes one `break_glass.closed` event per window closed, and the session service's `session.ended`
    (cause break_glass_closed). A closed approval is never usable again, even if it was never used.
    Returns counts (windows_closed, sessions_ended)."""
    now = timezone.now()
    summary = {"windows_closed": 0, "sessions_ended": 0}
    with transaction.atomic():
        passed = BreakGlassRequest.objects.select_for_update().filter(
            closed_at__isnull=True, window_ends_at__isnull=False, window_ends_at__lte=now
        )
        for request in passed.order_by("pk"):
            request.closed_at = now
            request.save(update_fields=["closed_at"])
            assert request.window_ends_at is not None
            context = {"used": request.used_at is not None, "until": request.window_ends_at.isoformat()}
            record_event(actor, CLOSED, request, context=context)
            summary["windows_closed"] += 1
        account = BreakGlassAccount.objects.select_related("user").first()
        if account is None:
            return summary
        # A session of the account is covered by the used window it signed in under; the earliest
        # used window still open began at its used_at, so anything older belongs to a passed window.
        still_open = BreakGlassRequest.objects.filter(
            used_at__isnull=False, closed_at__isnull=True, window_ends_at__gt=now
        ).aggregate(since=Min("used_at"))["since"]
        summary["sessions_ended"] = end_sessions_of(
            account.user, cause=EndCause.BREAK_GLASS_CLOSED, actor=actor, started_before=still_open or now
        )
    return summary


def _record_attempt(user: User, action: str, request: BreakGlassRequest | None, address: str | None) -> None:
    context = {"request": request.pk if request else None, "address": address or ""}
    emit = (outbox.BREAK_GLASS, {"action": action, "user_id": str(user.pk), **context})
    record_event(Actor.of_user(user), action, user, context=context, emit=emit)
