"""Joiners, movers and leavers: every change of a person goes through here.

Each function runs in one transaction, locks the row it changes, writes an audit event and an outbox
event beside the change, and returns early when nothing would change, so a repeat is a no-op.
"""

import json
import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from lms_identity.errors import InvalidValue, UniquenessConflict, VersionMismatch
from lms_identity.models import IdpConnection, Membership, User
from lms_identity.models.sessions import EndCause
from lms_identity.models.users import Source, email_is, user_name_is

from . import outbox
from .audit import Actor, record_event
from .sessions import end_sessions_of

# Attributes a caller may set; everything else on the model is owned by these services.
WRITABLE_FIELDS = frozenset(
    {
        "user_name",
        "email",
        "external_id",
        "given_name",
        "family_name",
        "middle_name",
        "display_name",
        "nick_name",
        "title",
        "user_type",
        "preferred_language",
        "locale",
        "timezone",
        "employee_number",
        "cost_center",
        "organization",
        "division",
        "department",
        "hire_date",
        "custom_attributes",
        "is_active",
    }
)
# A POST that restores a person this connection deleted is a rehire: what its body leaves out is cleared,
# as it would be for a new person, so nobody comes back with last time's department and its courses.
# externalId and the custom attributes (partly admin-owned) are kept.
CLEARED_ON_RESTORE = {
    name: None if name == "hire_date" else ""
    for name in WRITABLE_FIELDS - {"user_name", "external_id", "is_active", "custom_attributes"}
}
MANAGER_KEY = "manager_ref"
MANAGER_CHAIN_LIMIT = 200
MANAGER_REF_MAX_LENGTH = 255
CUSTOM_ATTRIBUTES_MAX_BYTES = 64 * 1024
# Which unique constraint an IntegrityError names, to say which attribute clashed without its text.
UNIQUE_CONSTRAINT_FIELDS = {
    "user_email_ci_unique": "email",
    "user_external_id_per_connection_unique": "external_id",
    "user_user_name_ci_unique": "user_name",
}


def create_user(
    *, connection: IdpConnection | None, actor: Actor, attrs: dict[str, Any], source: str = Source.SCIM
) -> tuple[User, bool]:
    """Create a person, or adopt the unowned (manual or just-in-time) person with the same userName or
    email. Returns (user, adopted). A person owned by another connection, or a live one of the same
    connection, is a UniquenessConflict. Audited; emits user.changed."""
    attrs = dict(attrs)
    manager_ref = attrs.pop(MANAGER_KEY, None)
    _check_fields(attrs)
    if not attrs.get("user_name"):
        raise InvalidValue("user_name", "userName is required")
    with transaction.atomic():
        existing = _find_adoptable(connection, attrs)
        if (
            existing is not None
            and existing.is_deleted
            and existing.connection_id == getattr(connection, "pk", None)
        ):
            attrs = {**CLEARED_ON_RESTORE, **attrs}
            manager_ref = "" if manager_ref is None else manager_ref
        if existing is not None:
            user = _adopt(existing, connection=connection, actor=actor, attrs=attrs, source=source)
            adopted = True
        else:
            user = User(connection=connection, source=source, **attrs)
            user.set_unusable_password()
            if not user.is_active:
                user.deactivated_at = timezone.now()
            _save_unique(user, force_insert=True)
            record_event(actor, "user.created", user, changes={k: (None, v) for k, v in attrs.items()})
            adopted = False
        if manager_ref is not None:
            _set_manager(user, manager_ref, actor=actor)
        _link_waiting_reports(user, actor=actor)
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(user.pk)]})
    return user, adopted


def update_user(
    user: User, *, actor: Actor, changes: dict[str, Any], expected_version: int | None = None
) -> list[str]:
    """Apply the attribute changes that differ from what is stored, atomically. `is_active` False
    deactivates (sessions end in this transaction), True reactivates. Returns the names changed; an
    empty list means nothing changed and nothing was written. Raises VersionMismatch for a stale ETag."""
    changes = dict(changes)
    manager_ref = changes.pop(MANAGER_KEY, None) if MANAGER_KEY in changes else ...
    _check_fields(changes)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if expected_version is not None and user.version != expected_version:
            raise VersionMismatch()
        diff = {k: (getattr(user, k), v) for k, v in changes.items() if getattr(user, k) != v}
        activity = diff.pop("is_active", None)
        for field, (_, value) in diff.items():
            setattr(user, field, value)
        changed = list(diff)
        if manager_ref is not ... and _set_manager(user, manager_ref, actor=actor, save=False):
            changed.append("manager")
        if activity is not None:
            _set_active(user, activity[1], actor=actor)
            changed.append("is_active")
        if not changed:
            return []
        user.version += 1
        _save_unique(user, update_fields=[*_db_fields(changed), "version", "updated_at"])
        if diff:
            record_event(actor, "user.updated", user, changes=diff)
        if "user_name" in diff or "external_id" in diff:
            _link_waiting_reports(user, actor=actor)
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(user.pk)]})
    return changed


def deactivate_user(user: User, *, actor: Actor, reason: str = "") -> bool:
    """Lock the person out: inactive, every session deleted, in one transaction. Idempotent."""
    with transaction.atomic():
        changed = update_user(user, actor=actor, changes={"is_active": False})
        if changed and reason:
            record_event(actor, "user.deactivation_reason", user, context={"reason": reason})
    return bool(changed)


def reactivate_user(user: User, *, actor: Actor) -> bool:
    """Let the person sign in again. Idempotent."""
    return bool(update_user(user, actor=actor, changes={"is_active": True}))


def delete_user(user: User, *, actor: Actor, expected_version: int | None = None) -> bool:
    """Soft-delete: deactivated, sessions ended, memberships removed, hidden from the IdP's view; data
    kept for the retention sweep. Idempotent. Emits user.deleted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if expected_version is not None and user.version != expected_version:
            raise VersionMismatch()
        if user.deleted_at is not None:
            return False
        now = timezone.now()
        was_active = user.is_active
        user.is_active = False
        user.deactivated_at = user.deactivated_at if not was_active else now
        user.deleted_at = now
        user.version += 1
        user.save(update_fields=["is_active", "deactivated_at", "deleted_at", "version", "updated_at"])
        sessions = end_sessions_of(user, cause=EndCause.DELETED, actor=actor)
        group_ids = list(Membership.objects.filter(user=user).values_list("group_id", flat=True))
        Membership.objects.filter(user=user).delete()
        _unlink_reports(user, actor=actor)
        record_event(
            actor,
            "user.deleted",
            user,
            changes={"is_active": (was_active, False)},
            context={"sessions_ended": sessions, "groups_left": [str(g) for g in group_ids]},
        )
        outbox.emit(
            outbox.USER_DELETED,
            {"user_ids": [str(user.pk)], "requested_at": now.isoformat()},
        )
    return True


def _set_active(user: User, active: bool, *, actor: Actor) -> None:
    now = timezone.now()
    user.is_active = active
    if active:
        user.deactivated_at = None
        user.deleted_at = None
        record_event(actor, "user.reactivated", user, changes={"is_active": (False, True)})
        return
    user.deactivated_at = now
    sessions = end_sessions_of(user, cause=EndCause.DEACTIVATED, actor=actor)
    record_event(
        actor,
        "user.deactivated",
        user,
        changes={"is_active": (True, False)},
        context={"sessions_ended": sessions},
    )
    outbox.emit(outbox.USER_DEACTIVATED, {"user_ids": [str(user.pk)], "requested_at": now.isoformat()})


def _db_fields(changed: list[str]) -> list[str]:
    fields = set(changed)
    if "is_active" in fields:
        fields |= {"deactivated_at", "deleted_at"}
    if "manager" in fields:
        fields |= {"pending_manager_ref"}
    return sorted(fields)


def _check_fields(attrs: dict[str, Any]) -> None:
    unknown = set(attrs) - WRITABLE_FIELDS
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be set")
    for name, value in attrs.items():
        field = User._meta.get_field(name)
        if isinstance(field, models.CharField):
            if not isinstance(value, str):
                raise InvalidValue(name, f"{name} must be a string")
            if field.max_length is not None and len(value) > field.max_length:
                raise InvalidValue(name, f"{name} is longer than {field.max_length} characters")
            if "\x00" in value:
                raise InvalidValue(name, f"{name} contains a NUL character")
    if "user_name" in attrs and not attrs["user_name"].strip():
        raise InvalidValue("user_name", "userName is required")
    if "email" in attrs and attrs["email"] and "@" not in attrs["email"]:
        raise InvalidValue("email", "email is not an address")
    if "is_active" in attrs and not isinstance(attrs["is_active"], bool):
        raise InvalidValue("is_active", "active must be true or false")
    if "hire_date" in attrs and not (attrs["hire_date"] is None or isinstance(attrs["hire_date"], date)):
        raise InvalidValue("hire_date", "hire date must be a date")
    if "custom_attributes" in attrs:
        _check_custom_attributes(attrs["custom_attributes"])


def _check_custom_attributes(value: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidValue("custom_attributes", "custom attributes must be an object")
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        raise InvalidValue("custom_attributes", "custom attributes must be plain JSON") from None
    # PostgreSQL's jsonb cannot hold a NUL character; refuse it here rather than fail in the database.
    if "\\u0000" in text:
        raise InvalidValue("custom_attributes", "custom attributes contain a NUL character")
    if len(text) > CUSTOM_ATTRIBUTES_MAX_BYTES:
        raise InvalidValue("custom_attributes", "custom attributes are too large")


def _find_adoptable(connection: IdpConnection | None, attrs: dict[str, Any]) -> User | None:
    """The person a create should land on instead of a duplicate, or None when there is none.

    Raises UniquenessConflict when the userName or email belongs to a person this caller may not take."""
    match = user_name_is(attrs["user_name"])
    if attrs.get("email"):
        match |= email_is(attrs["email"])
    # At most two rows (both keys are unique). No LIMIT: with ORDER BY pk LIMIT the planner walks the
    # primary key and filters the whole table instead of using the two Lower() indexes.
    candidates = list(User.objects.select_for_update().filter(match).order_by("pk"))
    for candidate in candidates:
        unowned = candidate.connection_id is None and not candidate.is_superuser
        own_jit = (
            candidate.connection_id == getattr(connection, "pk", None) and candidate.source == Source.JIT
        )
        own_deleted = candidate.connection_id == getattr(connection, "pk", None) and candidate.is_deleted
        if len(candidates) == 1 and (unowned or own_jit or own_deleted):
            return candidate
    if candidates:
        clash = candidates[0]
        field = "user_name" if clash.user_name.lower() == attrs["user_name"].lower() else "email"
        raise UniquenessConflict(field, f"{field} is already taken")
    return None


def _adopt(
    user: User, *, connection: IdpConnection | None, actor: Actor, attrs: dict[str, Any], source: str
) -> User:
    before = {"connection": user.connection_id, "source": user.source}
    was_active = user.is_active
    user.connection = connection
    user.source = source
    diff = {k: (getattr(user, k), v) for k, v in attrs.items() if getattr(user, k) != v}
    for field, (_, value) in diff.items():
        setattr(user, field, value)
    if user.deleted_at is not None:
        # A create says the person exists again, active or not: left soft-deleted, the POST that
        # restored them would answer 404 and roll back (Entra creates disabled accounts active false).
        user.deleted_at = None
    if attrs.get("is_active", True):
        # A create says the person should exist and be active (RFC 7643 §4.1.1 active defaults true):
        # a restored soft-deleted or deactivated person can sign in again.
        if not user.is_active:
            diff["is_active"] = (False, True)
        user.is_active = True
        user.deactivated_at = None
    elif was_active:
        # Adopted as a leaver (active false on create): the same lock-out as deactivate_user, with
        # deactivated_at, sessions ended, its audit event and the outbox event the sweeps listen to.
        _set_active(user, False, actor=actor)
    user.version += 1
    _save_unique(user)
    record_event(
        actor,
        "user.adopted",
        user,
        changes={
            **diff,
            "connection": (before["connection"], getattr(connection, "pk", None)),
            "source": (before["source"], source),
        },
    )
    if not user.is_active:
        end_sessions_of(user, cause=EndCause.DEACTIVATED, actor=actor)
    return user


def _save_unique(user: User, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as exc:
        field = _clashing_field(user, exc)
        raise UniquenessConflict(field, f"{field} is already taken") from None


def _clashing_field(user: User, exc: IntegrityError) -> str:
    text = str(exc).lower()
    for constraint, field in UNIQUE_CONSTRAINT_FIELDS.items():
        if constraint in text:
            return field
    # SQLite names the columns, not the constraint: "UNIQUE constraint failed: index 'user_email_ci_unique'"
    # on recent versions, "...: lms_identity_user.connection_id, lms_identity_user.external_id" on others.
    if "external_id" in text:
        return "external_id"
    if ".email" in text or "lower(email)" in text:
        return "email"
    return "user_name"


def _resolve_manager(user: User, ref: str) -> User | None:
    scope = User.objects.filter(connection_id=user.connection_id, deleted_at__isnull=True)
    match = Q(external_id=ref) | user_name_is(ref)
    try:
        match |= Q(pk=uuid.UUID(ref))
    except ValueError:
        pass
    found = sorted(scope.filter(match).exclude(pk=user.pk), key=lambda candidate: candidate.pk)
    return found[0] if found else None


def _set_manager(user: User, ref: str | None, *, actor: Actor, save: bool = True) -> bool:
    """Point the person at their manager (by id, externalId or userName), or remember the reference
    until that manager is provisioned. Returns whether anything changed."""
    ref = (ref or "").strip()
    if len(ref) > MANAGER_REF_MAX_LENGTH or "\x00" in ref:
        raise InvalidValue("manager", "the manager reference is too long or has a NUL character")
    manager = _resolve_manager(user, ref) if ref else None
    pending = ref if ref and manager is None else ""
    if manager is not None:
        _check_no_cycle(user, manager)
    if user.manager_id == getattr(manager, "pk", None) and user.pending_manager_ref == pending:
        return False
    before = str(user.manager_id) if user.manager_id else None
    user.manager = manager
    user.pending_manager_ref = pending
    if save:
        user.version += 1
        user.save(update_fields=["manager", "pending_manager_ref", "version", "updated_at"])
    record_event(
        actor,
        "user.manager_changed",
        user,
        changes={"manager": (before, str(manager.pk) if manager else None)},
        context={"pending_ref": pending} if pending else None,
    )
    return True


def _check_no_cycle(user: User, manager: User) -> None:
    seen = {user.pk}
    current: User | None = manager
    for _ in range(MANAGER_CHAIN_LIMIT):
        if current is None:
            return
        if current.pk in seen:
            raise InvalidValue("manager", "that manager would make a loop in the manager chain")
        seen.add(current.pk)
        current = current.manager
    raise InvalidValue("manager", "the manager chain is too long")


def _unlink_reports(manager: User, *, actor: Actor) -> None:
    """A deleted manager is gone as far as the IdP can tell (404): their reports stop pointing at them and
    wait for them by id instead, so a restore links them again, as a manager provisioned late would be."""
    for report in User.objects.select_for_update().filter(manager=manager).order_by("pk"):
        _set_manager(report, str(manager.pk), actor=actor)  # unresolvable now: kept as pending
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(report.pk)]})


def _link_waiting_reports(user: User, *, actor: Actor) -> None:
    refs = {str(user.pk), user.user_name}
    if user.external_id:
        refs.add(user.external_id)
    waiting = (
        User.objects.select_for_update()
        .filter(connection_id=user.connection_id, pending_manager_ref__in=refs)
        .exclude(pk=user.pk)
    )
    for report in waiting.order_by("pk"):
        _set_manager(report, report.pending_manager_ref, actor=actor)
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(report.pk)]})
