"""IdP connections."""

from django.db import transaction

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
