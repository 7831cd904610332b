"""Joiners, movers and leavers: every change of a person goes through here.

Each function runs in one transaction, locks the row it changes, writes an audit event and an outbox
event beside the change, and returns early when nothing would change, so a repeat is a no-op. The one
exception is the commonest create: a new person nobody else's account or report stands in the way of is
inserted by one statement that checks that and writes them with their events (atomic by itself).
Beside this module: which existing account a create may land on (adoption), locking out and letting back
in (lockout), the checks on written values (attribute_checks), and the manager chain (reporting_lines).
"""

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from lms_identity.errors import InvalidValue, VersionMismatch
from lms_identity.models import IdpConnection, Membership, User
from lms_identity.models.sessions import EndCause
from lms_identity.models.users import Source

from . import adoption, outbox
from .attribute_checks import MANAGER_KEY, WRITABLE_FIELDS, check_attributes
from .audit import Actor, record_event
from .event_rows import Guard
from .lockout import ACTIVITY_FIELDS, deactivate_user, let_back_in, lock_out, reactivate_user
from .reporting_lines import link_waiting_reports, set_manager, unlink_reports
from .sessions import end_sessions_of
from .uniqueness import clash_named, save_unique

# The lock-out entry points live in lockout; callers of the user services find them here too.
__all__ = ["create_user", "deactivate_user", "delete_user", "reactivate_user", "update_user"]

# A POST that restores a person this connection deleted is a rehire: what its body leaves out is cleared,
# as it would be for a new person, so nobody comes back with last time's department and its courses.
# externalId and the custom attributes (partly admin-owned) are kept.
CLEARED_ON_RESTORE = {
    name: None if name == "hire_date" else ""
    for name in WRITABLE_FIELDS - {"user_name", "external_id", "is_active", "custom_attributes"}
}


def create_user(
    *, connection: IdpConnection | None, actor: Actor, attrs: dict[str, Any], source: str = Source.SCIM
) -> tuple[User, bool]:
    """Create a person, or adopt the existing account with the same userName or email when the adoption
    rule allows it (services/adoption.py). Returns (user, adopted). Raises AdoptionRefused when the rule
    refuses, UniquenessConflict when the account is another connection's or a live one of this
    connection. Audited; emits user.changed."""
    attrs = dict(attrs)
    manager_ref = attrs.pop(MANAGER_KEY, None)
    check_attributes(attrs)
    if not attrs.get("user_name"):
        raise InvalidValue("user_name", "userName is required")
    if manager_ref is None:
        # Most creates: nobody to adopt or clash with and nobody waiting for them as their manager. Then
        # one statement checks that and inserts the person with their events (atomic by itself; inside a
        # caller's transaction, a savepoint keeps a clash from breaking it); otherwise, the locked path.
        user = _new_person(connection, source, attrs)
        guard = adoption.nothing_to_adopt(
            connection,
            user_name=attrs["user_name"],
            email=attrs.get("email") or "",
            external_id=attrs.get("external_id") or "",
        )
        in_transaction = transaction.get_connection().in_atomic_block
        with transaction.atomic() if in_transaction else nullcontext():
            if _insert_person(user, actor, attrs, unless_found=guard):
                return user, False
    with transaction.atomic():
        connection_id = getattr(connection, "pk", None)
        waiting: list[User] | None
        existing, waiting = adoption.find_adoptable(
            connection,
            user_name=attrs["user_name"],
            email=attrs.get("email") or "",
            external_id=attrs.get("external_id") or "",
        )
        if existing is not None and existing.is_deleted and existing.connection_id == connection_id:
            attrs = {**CLEARED_ON_RESTORE, **attrs}
            manager_ref = "" if manager_ref is None else manager_ref
        if existing is not None:
            user = adoption.adopt(existing, connection=connection, actor=actor, attrs=attrs, source=source)
            outbox.emit(*_changed(user))
            adopted = True
            waiting = None  # the adopted person has an id a report may have named: look again
        else:
            user = _new_person(connection, source, attrs)
            _insert_person(user, actor, attrs)
            adopted = False
        if manager_ref is not None:
            set_manager(user, manager_ref, actor=actor)
        link_waiting_reports(user, actor=actor, waiting=waiting)
    return user, adopted


def _new_person(connection: IdpConnection | None, source: str, attrs: dict[str, Any]) -> User:
    user = User(connection=connection, source=source, **attrs)
    # "!" alone: Django treats any password starting with it as unusable (no sign-in by password), without
    # make_password(None)'s 40 random characters. A new person has no session its hash could invalidate.
    user.password = UNUSABLE_PASSWORD_PREFIX
    if not user.is_active:
        user.deactivated_at = timezone.now()
    return user


def _insert_person(
    user: User, actor: Actor, attrs: dict[str, Any], *, unless_found: Guard | None = None
) -> bool:
    """The person, their audit event and their outbox event: one statement, one round trip. With
    `unless_found`, nothing when that query finds a row: returns whether the person was inserted."""
    with clash_named():
        record_event(
            actor,
            "user.created",
            user,
            changes={k: (None, v) for k, v in attrs.items()},
            emit=_changed(user),
            inserting_target=True,
            unless_found=unless_found,
        )
    return not user._state.adding


# What update_user applies: the attribute changes, or how to find them from the row as locked.
Changes = dict[str, Any] | Callable[[User], dict[str, Any]]


def update_user(
    user: User | Callable[[], User],
    *,
    actor: Actor,
    changes: Changes,
    expected_version: int | None = None,
) -> tuple[User, list[str]]:
    """Apply the attribute changes that differ from what is stored, atomically. `is_active` False locks
    the person out (lockout: sessions end in this transaction, and its user.deactivated event is the
    outbox event), True lets them back in. Returns the row as locked and saved (what a response shows,
    without reading it again) and the names changed; an empty list means nothing changed and nothing was
    written. Raises VersionMismatch for a stale ETag, AdoptionRefused when an IdP would rename an account
    with admin power.

    `user` may be a function that reads and locks the person within the caller's scope (the SCIM edge's
    compiled lookup of a connection's live people), called inside this transaction, raising
    User.DoesNotExist when the scope holds nobody. `changes` may be a function of the row as locked (a
    SCIM PATCH applies its operations to it, so two PATCHes of one person never lose each other's
    change)."""
    with transaction.atomic():
        user = _locked(user)
        changes = dict(changes(user) if callable(changes) else changes)
        manager_ref = changes.pop(MANAGER_KEY, None) if MANAGER_KEY in changes else ...
        check_attributes(changes)
        if expected_version is not None and user.version != expected_version:
            raise VersionMismatch()
        diff = {k: (getattr(user, k), v) for k, v in changes.items() if getattr(user, k) != v}
        adoption.check_renamable(user, diff, actor=actor)
        activity = diff.pop("is_active", None)
        for field, (_, value) in diff.items():
            setattr(user, field, value)
        changed = list(diff)
        if manager_ref is not ... and set_manager(user, manager_ref, actor=actor, save=False):
            changed.append("manager")
        if activity is not None:
            changed.append("is_active")
        if not changed:
            return user, []
        user.version += 1
        fields = [*_db_fields(changed), "version", "updated_at"]
        # The row is saved in the statement of the last audit event written: the lock-out's when the
        # deactivation is the whole change, else user.updated's; only a change with no event of its own
        # (a manager, a comeback alone) saves it by itself.
        saved_by_lock_out = activity is not None and not activity[1] and changed == ["is_active"]
        if activity is not None:
            if activity[1]:
                let_back_in(user, actor=actor)
            else:
                lock_out(
                    user,
                    actor=actor,
                    reason="active set to false",
                    saving=fields if saved_by_lock_out else (),
                )
        # A lock-out's user.deactivated names the person already: the dispatcher reconciles them for
        # either kind, and that one also carries the leaver's timing.
        emit = _changed(user) if activity is None or activity[1] else None
        if diff:
            with clash_named():
                record_event(actor, "user.updated", user, changes=diff, emit=emit, saving_target=fields)
        elif not saved_by_lock_out:
            save_unique(user, update_fields=fields)
            if emit is not None:
                outbox.emit(*emit)
        if "user_name" in diff or "external_id" in diff:
            link_waiting_reports(user, actor=actor)
    return user, changed


def _locked(user: User | Callable[[], User]) -> User:
    if isinstance(user, User):
        return User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    return user()


def delete_user(user: User, *, actor: Actor, expected_version: int | None = None) -> bool:
    """Soft-delete: locked out (lockout, sessions ended), memberships removed, hidden from the IdP's
    view; data kept for the retention sweep. Idempotent. Emits user.deleted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if expected_version is not None and user.version != expected_version:
            raise VersionMismatch()
        if user.deleted_at is not None:
            return False
        now = timezone.now()
        was_active = user.is_active
        if was_active:
            sessions = lock_out(user, actor=actor, reason="deleted", leaving_kind=None)
        else:
            sessions = end_sessions_of(user, cause=EndCause.DELETED, actor=actor)
        user.deleted_at = now
        user.version += 1
        user.save(update_fields=[*ACTIVITY_FIELDS, "version", "updated_at"])
        group_ids = list(Membership.objects.filter(user=user).values_list("group_id", flat=True))
        Membership.objects.filter(user=user).delete()
        unlink_reports(user, actor=actor)
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


def _changed(user: User) -> tuple[str, dict[str, Any]]:
    """The outbox event of a change to the person (record_event's `emit`)."""
    return outbox.USER_CHANGED, {"user_ids": [str(user.pk)]}


def _db_fields(changed: list[str]) -> list[str]:
    fields = set(changed)
    if "is_active" in fields:
        fields |= set(ACTIVITY_FIELDS)
    if "manager" in fields:
        fields |= {"pending_manager_ref"}
    return sorted(fields)
