"""The audit trail: one row per change, written inside the caller's transaction.

Events are append-only and chained by a keyed hash after they commit (audit_chain.py); every writer asks
for that seal on commit. Personal data leaves the trail only through audit_redaction.py.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from lms_identity.models import AuditEvent, IdpConnection
from lms_identity.models.audit import ActorType

from . import outbox
from .audit_sealer import seal_after_commit
from .event_rows import Guard, insert_together


@dataclass(frozen=True)
class Actor:
    """Who asked for a change: an IdP connection, an admin, the person themself, or the system."""

    type: str
    id: str = ""
    label: str = ""
    connection_id: int | None = None

    @classmethod
    def of_connection(cls, connection: IdpConnection) -> "Actor":
        return cls(ActorType.CONNECTION, str(connection.pk), connection.slug, connection.pk)

    @classmethod
    def of_admin(cls, user: Any) -> "Actor":
        return cls(ActorType.ADMIN, str(user.pk), str(user.user_name))

    @classmethod
    def of_user(cls, user: Any) -> "Actor":
        return cls(ActorType.USER, str(user.pk), str(user.user_name), user.connection_id)

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(ActorType.SYSTEM, "", name)


def jsonable(value: Any) -> Any:
    """A value as it can be stored in the audit JSON (dates as ISO strings, models as their pk)."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def record_event(
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    *,
    changes: dict[str, tuple[Any, Any]] | None = None,
    context: dict[str, Any] | None = None,
    connection_id: int | None = None,
    at: datetime | None = None,
    emit: tuple[str, dict[str, Any]] | None = None,
    inserting_target: bool = False,
    unless_found: Guard | None = None,
    saving_target: Sequence[str] = (),
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it describes (or, for a change
    written by this one statement, `inserting_target`, outside any). `at` is for history imported as it
    happened elsewhere (the demo's weeks of past activity); the chain still orders events by when they
    were written, so an imported past cannot pass for one recorded live. `emit`, an
    outbox (kind, payload), is written with the event in one round trip, as outbox.emit would write it.
    `inserting_target`: the target is a new, unsaved row (a person created), inserted in that same
    statement, before the event; its unique constraints fail the whole statement. `unless_found` (with
    `emit`): write nothing when that query finds a row (event_rows.insert_together); the target and the
    event then stay unsaved (`_state.adding`). `saving_target`: these fields of the (locked, changed)
    target are saved in that same statement, before the event, as target.save(update_fields=...) would."""
    event = AuditEvent(
        at=at or timezone.now(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:255],
        action=action,
        target_type=(target._meta.model_name or "") if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        connection_id=connection_id if connection_id is not None else actor.connection_id,
        changes={k: [jsonable(b), jsonable(a)] for k, (b, a) in (changes or {}).items()},
        context={k: jsonable(v) for k, v in (context or {}).items()},
    )
    written_first = [target, event] if inserting_target and target is not None else [event]
    saving = (target, list(saving_target)) if saving_target and target is not None else None
    if emit is not None:
        outbox.emit_beside(written_first, *emit, unless_found=unless_found, saving=saving)
        if event._state.adding:
            return event  # the guard found a row: nothing written, nothing to seal
    elif unless_found is not None:
        raise ValueError("unless_found goes with emit: the guarded statement writes the outbox event too")
    elif len(written_first) > 1 or saving is not None:
        insert_together(*written_first, saving=saving)
    else:
        event.save(force_insert=True)
    seal_after_commit()  # after the insert: in autocommit the seal runs at once
    return event


def record_events(
    actor: Actor,
    action: str,
    targets: Iterable[models.Model],
    *,
    changes: dict[str, tuple[Any, Any]] | None = None,
    context_for: Callable[[models.Model], dict[str, Any]] | None = None,
    connection_for: Callable[[models.Model], int | None] | None = None,
) -> None:
    """One audit event per target, written in one statement: for changes made to many people at once.
    The event's connection is the actor's, else `connection_for(target)` when given. Call it inside the
    transaction of the change."""

    def connection_of(target: models.Model) -> int | None:
        if actor.connection_id is not None or connection_for is None:
            return actor.connection_id
        return connection_for(target)

    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:255],
            action=action,
            target_type=target._meta.model_name or "",
            target_id=str(target.pk),
            target_label=str(target)[:255],
            connection_id=connection_of(target),
            changes={k: [jsonable(b), jsonable(a)] for k, (b, a) in (changes or {}).items()},
            context={k: jsonable(v) for k, v in (context_for(target) if context_for else {}).items()},
        )
        for target in targets
    )
    seal_after_commit()
