"""Who reports to whom: the SCIM enterprise manager reference, resolved within the person's connection,
remembered while the manager is not provisioned yet, and never allowed to loop. Runs inside the
transaction of the user service that called it."""

import uuid

from django.db.models import Q

from lms_identity.errors import InvalidValue
from lms_identity.models import User
from lms_identity.models.users import user_name_is

from . import outbox
from .audit import Actor, record_event

MANAGER_CHAIN_LIMIT = 200
MANAGER_REF_MAX_LENGTH = 255


def set_manager(user: User, ref: str | None, *, actor: Actor, save: bool = True) -> bool:
    """Point the person at their manager (by id, externalId or userName), or remember the reference
    until that manager is provisioned. Audited. Returns whether anything changed."""
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


def unlink_reports(manager: User, *, actor: Actor) -> None:
    """A deleted manager is gone as far as the IdP can tell (404): their reports stop pointing at them and
    wait for them by id instead, so a restore links them again, as a manager provisioned late would be."""
    for report in User.objects.select_for_update().filter(manager=manager).order_by("pk"):
        set_manager(report, str(manager.pk), actor=actor)  # unresolvable now: kept as pending
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(report.pk)]})


def waiting_for_new(connection_id: int | None, *, user_name: str, external_id: str) -> Q:
    """The people who named a person about to be created as their manager: by userName or externalId
    (not by id: a new person's id is fresh, so nobody can have named it). For create_user to lock them
    together with its adoption lookup and hand them to link_waiting_reports."""
    return Q(connection_id=connection_id, pending_manager_ref__in=_refs(user_name, external_id))


def link_waiting_reports(user: User, *, actor: Actor, waiting: list[User] | None = None) -> None:
    """Link the people who named this person as their manager before they were provisioned. `waiting`:
    those people, already locked (waiting_for_new); otherwise they are looked up and locked here."""
    if waiting is None:
        waiting = list(
            User.objects.select_for_update()
            .filter(
                connection_id=user.connection_id,
                pending_manager_ref__in=_refs(user.user_name, user.external_id, user.pk),
            )
            .exclude(pk=user.pk)
            .order_by("pk")
        )
    for report in waiting:
        set_manager(report, report.pending_manager_ref, actor=actor)
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(report.pk)]})


def _refs(user_name: str, external_id: str, pk: object = None) -> set[str]:
    """What a report may have named this person by: their id, userName or externalId."""
    refs = {user_name}
    if external_id:
        refs.add(external_id)
    if pk is not None:
        refs.add(str(pk))
    return refs


def _resolve_manager(user: User, ref: str) -> User | None:
    scope = User.objects.filter(connection_id=user.connection_id, deleted_at__isnull=True)
    match = Q(external_id=ref) | user_name_is(ref)
    try:
        match |= Q(pk=uuid.UUID(ref))
    except ValueError:
        pass
    found = sorted(scope.filter(match).exclude(pk=user.pk), key=lambda candidate: candidate.pk)
    return found[0] if found else None


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
