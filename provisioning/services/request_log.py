"""Reading and trimming the SCIM request log (rows are written by provisioning/scim/request_log.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from lms_identity.models import ScimToken
from provisioning.models import ScimRequest

PURGE_CHUNK = 5000


@dataclass(frozen=True)
class ConnectionHealth:
    """What the connection page shows: is the IdP talking to us, and is it going well?"""

    last_request_at: datetime | None  # from the tokens' last use (marked at most once a minute)
    requests_24h: int | None  # None unless SCIM_REQUEST_LOG is "all"
    errors_24h: int | None  # None when SCIM_REQUEST_LOG is "off"
    last_error: ScimRequest | None


def get_connection_health(connection_id: int) -> ConnectionHealth:
    """The last request, requests and failures in the last 24 hours, and the last failure (with its
    status, scimType and detail) of one connection. Three indexed queries. Figures the log setting does
    not record are None, not 0."""
    mode = settings.SCIM_REQUEST_LOG
    since = timezone.now() - timedelta(hours=24)
    figures = ScimRequest.objects.filter(connection_id=connection_id, at__gte=since).aggregate(
        requests=Count("pk"), errors=Count("pk", filter=Q(status__gte=400))
    )
    last_used = ScimToken.objects.filter(connection_id=connection_id).aggregate(last=Max("last_used_at"))
    return ConnectionHealth(
        last_request_at=last_used["last"],
        requests_24h=figures["requests"] if mode == "all" else None,
        errors_24h=figures["errors"] if mode != "off" else None,
        last_error=list_failures(connection_id).first(),
    )


def list_failures(connection_id: int) -> QuerySet[ScimRequest]:
    """A connection's failed requests, newest first."""
    return ScimRequest.objects.filter(connection_id=connection_id, status__gte=400).order_by("-at", "-id")


def purge_request_log(*, days: int | None = None, limit: int = 100 * PURGE_CHUNK) -> int:
    """Delete request-log rows older than `days` (SCIM_REQUEST_LOG_DAYS), oldest first, in chunks of
    PURGE_CHUNK and at most `limit` per call (the next call continues). Idempotent. Returns the count."""
    cutoff = timezone.now() - timedelta(days=settings.SCIM_REQUEST_LOG_DAYS if days is None else days)
    deleted = 0
    while deleted < limit:
        ids = list(
            ScimRequest.objects.filter(at__lt=cutoff)
            .order_by("at")
            .values_list("pk", flat=True)[:PURGE_CHUNK]
        )
        if not ids:
            break
        deleted += ScimRequest.objects.filter(pk__in=ids).delete()[0]
    return deleted
