"""What the connection page shows: the URLs to give the IdP, its tokens, its sign-in settings and
whether the IdP is talking to us.

Health is derived from what this branch records: the newest use of any of the connection's SCIM tokens
(kept to the minute) and the changes the connection made over SCIM (audit events with the connection as
actor); requests and failures from the SCIM request log (provisioning), asked through the
SCIM_REQUEST_HEALTH setting so that the core imports nothing of provisioning."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string

from lms_identity.models import AuditEvent, IdpConnection, OidcConfig, ScimToken
from lms_identity.models.audit import ActorType
from lms_identity.services.oidc_config import sso_urls

HEALTH_WINDOW = timedelta(hours=24)
# Microsoft Entra's SCIM connector only follows RFC 7644 (PATCH semantics, booleans) when the tenant URL
# carries this feature flag.
ENTRA_FLAG = "aadOptscim062020"


@dataclass(frozen=True)
class ConnectionHealth:
    last_request_at: datetime | None
    changes_24h: int
    last_change_at: datetime | None
    errors_known: bool = False
    notes: list[str] = field(default_factory=list)


def scim_base_urls() -> dict[str, str]:
    base = f"{settings.PUBLIC_URL}/scim/v2/"
    return {"base": base, "entra": f"{base}?{ENTRA_FLAG}"}


def find_oidc_config(connection: IdpConnection) -> OidcConfig | None:
    return OidcConfig.objects.filter(connection=connection).first()


def list_connection_tokens(connection: IdpConnection) -> list[ScimToken]:
    return list(ScimToken.objects.filter(connection=connection).order_by("revoked_at", "-created_at"))


def connection_health(connection: IdpConnection, tokens: list[ScimToken]) -> ConnectionHealth:
    """Two queries: the SCIM changes of the last 24 hours, and the newest of them."""
    since = timezone.now() - HEALTH_WINDOW
    changes = AuditEvent.objects.filter(actor_type=ActorType.CONNECTION, connection=connection)
    recent = changes.filter(at__gte=since).count()
    last_change = changes.aggregate(last=Max("at"))["last"]
    used = [t.last_used_at for t in tokens if t.last_used_at is not None]
    return ConnectionHealth(
        last_request_at=max(used) if used else None,
        changes_24h=recent,
        last_change_at=last_change,
    )


def request_log_health(connection: IdpConnection) -> Any:
    """Requests and failures of the last 24 hours and the last failure, from the SCIM request log."""
    return (
        import_string(settings.SCIM_REQUEST_HEALTH)(connection.pk) if settings.SCIM_REQUEST_HEALTH else None
    )


def url_labels(urls: dict[str, str]) -> dict[str, str]:
    """The URLs to register keyed by words an admin reads ("Redirect URI", not "redirect_uri")."""
    words = {"uri": "URI", "ssf": "SSF"}
    labels = {name: " ".join(words.get(w, w) for w in name.split("_")) for name in urls}
    return {labels[name][:1].upper() + labels[name][1:]: url for name, url in urls.items()}


def connection_overview(connection: IdpConnection) -> dict[str, Any]:
    tokens = list_connection_tokens(connection)
    config = find_oidc_config(connection)
    return {
        "scim_urls": scim_base_urls(),
        "tokens": tokens,
        "live_tokens": sum(1 for t in tokens if t.is_active),
        "oidc": config,
        "oidc_urls": url_labels(sso_urls(connection)) if config is not None else {},
        "health": connection_health(connection, tokens),
        "request_log": request_log_health(connection),
    }
