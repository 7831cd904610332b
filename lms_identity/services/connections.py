"""IdP connections."""

from typing import Any

from django.db import transaction

from lms_identity.errors import InvalidValue
from lms_identity.models import IdpConnection

from .audit import Actor, record_event


def upsert_connection(slug: str, *, actor: Actor, name: str | None = None) -> tuple[IdpConnection, bool]:
    """Create the connection, or rename it. Returns it and whether it was created. Audited."""
    with transaction.atomic():
        connection, created = IdpConnection.objects.select_for_update().get_or_create(
            slug=slug, defaults={"name": name or slug}
        )
        if created:
            record_event(actor, "connection.created", connection, connection_id=connection.pk)
        elif name and connection.name != name:
            before = connection.name
            connection.name = name
            connection.save(update_fields=["name", "updated_at"])
            record_event(actor, "connection.updated", connection, changes={"name": (before, name)})
    return connection, created


ADMIN_SETTABLE = frozenset({"name", "enabled"})


def update_connection(connection: IdpConnection, *, actor: Actor, changes: dict[str, Any]) -> list[str]:
    """Rename a connection or switch it on or off (a disabled connection's tokens and sign-ins stop
    working). Locks the row; a repeat is a no-op. Returns the fields changed. Audited."""
    unknown = set(changes) - ADMIN_SETTABLE
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be changed here")
    with transaction.atomic():
        connection = IdpConnection.objects.select_for_update().get(pk=connection.pk)
        diff = {k: (getattr(connection, k), v) for k, v in changes.items() if getattr(connection, k) != v}
        if not diff:
            return []
        for field, (_, value) in diff.items():
            setattr(connection, field, value)
        connection.save(update_fields=[*diff, "updated_at"])
        record_event(actor, "connection.updated", connection, changes=diff, connection_id=connection.pk)
    return list(diff)
