"""Alerts an admin must see: an open row per key (the admin banner), a log line, an optional webhook."""

import json
import logging
import threading
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from lms_identity.models import IdpConnection, OutboxEvent, User
from lms_identity.services.audit import Actor, record_event
from provisioning.models import Alert, JobRun, RunStatus

log = logging.getLogger("provisioning.alerts")

STALE_AFTER = timedelta(hours=1)


def raise_alert(key: str, message: str, *, job_run: JobRun | None = None) -> Alert:
    """Open the alert for `key`, or count one more occurrence of the open one. Logged every time; posted
    to ALERT_WEBHOOK_URL (after commit, in the background) only when it opens."""
    log.warning("ALERT %s: %s", key, message)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at__isnull=True).first()
        if alert is not None:
            Alert.objects.filter(pk=alert.pk).update(
                occurrences=F("occurrences") + 1, message=message, last_seen_at=timezone.now()
            )
            return alert
        try:
            with transaction.atomic():
                alert = Alert.objects.create(key=key, message=message, job_run=job_run)
        except IntegrityError:  # opened by another worker a moment ago
            return Alert.objects.get(key=key, resolved_at__isnull=True)
    transaction.on_commit(lambda: _post_webhook(key, message))
    return alert


def alert_refused_adoption(payload: dict[str, Any]) -> Alert:
    """Raise the alert of an IdP connection that tried to adopt or rename an account with admin power
    (the core's adoption.refused outbox event): one open alert per connection, naming it."""
    connection = IdpConnection.objects.filter(pk=payload.get("connection_id") or 0).first()
    person = User.objects.filter(pk=payload.get("user_id") or uuid.UUID(int=0)).first()
    who = f"{connection.name} ({connection.slug})" if connection is not None else "an unknown connection"
    attempt = "rename" if payload.get("attempt") == "rename" else "take over"
    account = f"{person} ({person.user_name})" if person is not None else "of a person since purged"
    return raise_alert(
        f"takeover.{connection.slug if connection is not None else 'unknown'}",
        f"IdP connection {who} tried to {attempt} the account {account}, which has "
        "admin power, and was refused. If nobody expected this, revoke the connection's SCIM tokens and "
        "check who can change accounts at that IdP.",
    )


def alert_break_glass(payload: dict[str, Any]) -> Alert:
    """Raise the alert of a break-glass sign-in (the core's break_glass outbox event): one per approved
    request used, and one open alert counting refused attempts."""
    address = payload.get("address") or "an unknown address"
    if payload.get("action") == "break_glass.used":
        return raise_alert(
            f"break_glass.used.{payload.get('request')}",
            f"The break-glass account signed in from {address} under approved request "
            f"#{payload.get('request')}. Check the audit trail for what it does until the window closes.",
        )
    return raise_alert(
        "break_glass.refused",
        f"The break-glass account's password was used from {address} without an approved request.",
    )


def resolve_alert(key: str) -> int:
    """Close the open alert for `key` (the condition is gone). Returns how many were closed."""
    return Alert.objects.filter(key=key, resolved_at__isnull=True).update(resolved_at=timezone.now())


def acknowledge_alert(alert: Alert, *, actor: Actor) -> bool:
    """An admin has seen the alert and dealt with it: close it (the banner goes), audited as
    alert.acknowledged with who. Locks the row; a repeat, or an alert already resolved, is a no-op
    (returns False). If the condition is still there, the next check opens a new alert."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update().filter(pk=alert.pk, resolved_at__isnull=True).first()
        if locked is None:
            return False
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["resolved_at"])
        record_event(actor, "alert.acknowledged", locked, context={"key": locked.key})
    alert.resolved_at = locked.resolved_at
    return True


def list_open_alerts() -> QuerySet[Alert]:
    return Alert.objects.filter(resolved_at__isnull=True).order_by("-created_at")


def check_alerts() -> dict[str, int]:
    """Raise alerts for what has been failing for over an hour: outbox events not dispatched, and job
    runs stuck; close the outbox alert when the backlog is gone. Idempotent."""
    cutoff = timezone.now() - STALE_AFTER
    stuck = OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff)
    stuck_count = stuck.count()
    if stuck_count:
        oldest = stuck.order_by("id").first()
        raise_alert(
            "outbox.stuck",
            f"{stuck_count} identity change(s) waiting over an hour for the workers "
            f"(oldest #{oldest.pk if oldest else '?'}, {oldest.kind if oldest else ''}): is the broker or "
            "every worker down?",
        )
    else:
        resolve_alert("outbox.stuck")
    # Failed runs raise their alert the moment they fail (job_runs); here only runs that stopped moving.
    # One alert per run, ever: an admin who resolved it is not nagged again.
    hung = JobRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    raised = 0
    for run in hung:
        key = f"job.hung.{run.pk}"
        if not Alert.objects.filter(key=key).exists():
            raise_alert(key, f"{run} has made no progress for over an hour", job_run=run)
            raised += 1
    return {"outbox_stuck": stuck_count, "hung_runs": raised}


def _post_webhook(key: str, message: str) -> None:
    url = settings.ALERT_WEBHOOK_URL
    if not url.startswith(("https://", "http://")):
        return
    body = json.dumps({"key": key, "text": message}).encode()

    def post() -> None:
        # The scheme is checked above: only http(s) URLs from the operator's settings.
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                pass
        except OSError as exc:
            log.warning("alert webhook failed: %s", exc.__class__.__name__)

    threading.Thread(target=post, daemon=True, name="alert-webhook").start()
