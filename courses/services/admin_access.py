"""Admin access follows role grants: the one place that sets a person's `is_staff`, Django permissions and
auth groups.

A person's capabilities are those of the role templates they hold through an active grant (an entitlement
rule, the HR matrix or an override); an inactive or deleted person holds none. Their permissions become
exactly those the capabilities map to (`courses.capabilities`), they are staff when one of them is an
admin capability, and they belong to no auth group (nothing else hands out permissions). No IdP grants
the owner-level superuser: a person the IdP knows (of a connection, or with a subject link) who holds it
(set by hand in the shell or the admin) loses it here like any other power their roles do not give. Left
alone: the break-glass account, and a superuser no IdP knows (made by `createsuperuser`), who cannot sign
in anyway (password sign-in is break-glass only, adoption refuses accounts with admin power) and whom the
system check lms_identity.W201 names until an operator removes them. Called for each SSO sign-in
(`courses.services.sign_in_access`) and by the reconciler for every person whose role grants changed
(and, on the full run, everyone holding admin power).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat

from lms_identity.models import BreakGlassAccount, SubjectLink, User, UserSession
from lms_identity.services.audit import Actor, record_event

from ..capabilities import ADMIN_CAPABILITIES, permissions_for
from ..models import Grant, GrantState
from ..targets import TargetType

CHANGED_ACTION = "admin_access.changed"
FLAGS = ("is_superuser", "is_staff", "is_active", "deleted_at")

UserPermission = User.user_permissions.through
UserGroup = User.groups.through


def sync_admin_access(user_ids: Iterable[Any], *, actor: Actor) -> dict[str, int]:
    """Make these people's staff flag, permissions and auth groups what their active roles give.

    Idempotent: a person already as their roles say is not written. Locks the people's rows (primary-key
    order) in one transaction. Each change writes an `admin_access.changed` audit event (a superuser flag
    taken away shows in its changes). A person who lost power keeps their sessions but not the power in
    them: the admin and the API read the flags and permissions on every request, so their next admin
    request goes to the admin sign-in page while /learn/ goes on working; the event counts the live
    sessions that lost admin access (`admin_sessions_dropped`). Skips the break-glass account and
    superusers no IdP knows (see the module docstring). Returns counts (changed, admin_sessions_dropped)."""
    ids = sorted({uuid.UUID(str(i)) for i in user_ids})
    summary = {"changed": 0, "admin_sessions_dropped": 0}
    if not ids:
        return summary
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk__in=ids).exclude(_is_break_glass())
        people = [p for p in locked.order_by("pk") if not p.is_superuser or _known_to_an_idp(p)]
        if not people:
            return summary
        ids = [p.pk for p in people]
        capabilities = _capabilities_of(ids)
        current_perms = _current_permissions(ids)
        grouped = set(UserGroup.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
        wanted_caps = {
            p.pk: capabilities[p.pk] if p.is_active and not p.is_deleted else set() for p in people
        }
        permission_ids = _permission_ids(permissions_for(set().union(*wanted_caps.values())))
        for person in people:
            caps = wanted_caps[person.pk]
            wanted = {permission_ids[p] for p in permissions_for(caps) if p in permission_ids}
            staff = bool(caps & ADMIN_CAPABILITIES)
            had = current_perms[person.pk]
            was_staff, was_superuser = person.is_staff, person.is_superuser
            if staff == was_staff and wanted == had and person.pk not in grouped and not was_superuser:
                continue
            lost = (was_staff and not staff) or was_superuser or bool(had - wanted) or person.pk in grouped
            _apply(person, staff=staff, wanted=wanted, had=had)
            changes = {"is_staff": (was_staff, staff)} if staff != was_staff else {}
            if was_superuser:
                changes["is_superuser"] = (True, False)
            dropped = UserSession.objects.filter(user_id=person.pk).count() if lost else 0
            record_event(
                actor,
                CHANGED_ACTION,
                person,
                changes=changes,
                context={
                    "capabilities": sorted(caps & ADMIN_CAPABILITIES),
                    "permissions_added": len(wanted - had),
                    "permissions_removed": len(had - wanted),
                    "admin_sessions_dropped": dropped,
                },
            )
            summary["changed"] += 1
            summary["admin_sessions_dropped"] += dropped
    return summary


def refresh_admin_access(user_id: Any, *, actor: Actor) -> dict[str, int]:
    """sync_admin_access for one person, after one read that finds them already as their roles say (the
    usual sign-in): then nothing is locked or written. The read takes no lock; a change to their roles
    meanwhile is synced by the reconcile that made it."""
    if is_current(user_id):
        return {"changed": 0, "admin_sessions_dropped": 0}
    return sync_admin_access([user_id], actor=actor)


def is_current(user_id: Any) -> bool:
    """Whether the person's staff flag, permissions and auth groups are already what sync_admin_access
    would make them, in one query (PostgreSQL; elsewhere False: the caller syncs, which writes nothing
    when nothing differs). A superuser is left to the full sync, which decides whether an IdP knows
    them (then the flag goes); a missing person is current."""
    if connection.vendor != "postgresql":
        return False
    row = (
        User.objects.filter(pk=user_id)
        .annotate(
            role_capabilities=ArraySubquery(
                Grant.objects.filter(
                    user_id=OuterRef("pk"), state=GrantState.ACTIVE, target_type=TargetType.ROLE
                )
                .order_by()
                .values("role__capabilities")
            ),
            permission_names=ArraySubquery(
                UserPermission.objects.filter(user_id=OuterRef("pk")).values(
                    name=Concat("permission__content_type__app_label", Value("."), "permission__codename")
                )
            ),
            grouped=Exists(UserGroup.objects.filter(user_id=OuterRef("pk"))),
        )
        .values(
            "is_superuser",
            "is_staff",
            "is_active",
            "deleted_at",
            "role_capabilities",
            "permission_names",
            "grouped",
        )
        .first()
    )
    if row is None:
        return True
    if row["is_superuser"]:
        return False
    caps: set[str] = set()
    if row["is_active"] and row["deleted_at"] is None:
        for capabilities in row["role_capabilities"]:
            caps.update(c for c in capabilities or [] if isinstance(c, str))
    return (
        not row["grouped"]
        and row["is_staff"] == bool(caps & ADMIN_CAPABILITIES)
        and set(row["permission_names"]) == set(permissions_for(caps))
    )


def list_holders_of_admin_power(user_ids: Iterable[Any]) -> list[uuid.UUID]:
    """Of these people, the ones who are superusers or staff or hold a permission or auth group (the
    break-glass account aside): the ones a full reconcile re-checks even when their role grants did not
    change. sync_admin_access leaves the superusers no IdP knows as they are."""
    ids = list(user_ids)
    power = (
        Q(is_superuser=True) | Q(is_staff=True) | Q(user_permissions__isnull=False) | Q(groups__isnull=False)
    )
    return list(
        User.objects.filter(pk__in=ids)
        .exclude(_is_break_glass())
        .filter(power)
        .values_list("pk", flat=True)
        .distinct()
    )


def _is_break_glass() -> Exists:
    return Exists(BreakGlassAccount.objects.filter(user_id=OuterRef("pk")))


def _known_to_an_idp(person: User) -> bool:
    """Whether an IdP knows the person: provisioned or created by a connection, or linked to a subject."""
    return person.connection_id is not None or SubjectLink.objects.filter(user_id=person.pk).exists()


def _apply(person: User, *, staff: bool, wanted: set[int], had: set[int]) -> None:
    if staff != person.is_staff or person.is_superuser:
        person.is_staff = staff
        person.is_superuser = False
        person.save(update_fields=["is_staff", "is_superuser"])
    if had - wanted:
        UserPermission.objects.filter(user_id=person.pk, permission_id__in=had - wanted).delete()
    UserPermission.objects.bulk_create(
        [UserPermission(user_id=person.pk, permission_id=pid) for pid in sorted(wanted - had)]
    )
    UserGroup.objects.filter(user_id=person.pk).delete()


def _capabilities_of(ids: list[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    held: dict[uuid.UUID, set[str]] = defaultdict(set)
    rows = Grant.objects.filter(
        user_id__in=ids, state=GrantState.ACTIVE, target_type=TargetType.ROLE
    ).values_list("user_id", "role__capabilities")
    for user_id, capabilities in rows:
        held[user_id].update(c for c in capabilities or [] if isinstance(c, str))
    return held


def _current_permissions(ids: list[uuid.UUID]) -> dict[uuid.UUID, set[int]]:
    current: dict[uuid.UUID, set[int]] = defaultdict(set)
    for user_id, permission_id in UserPermission.objects.filter(user_id__in=ids).values_list(
        "user_id", "permission_id"
    ):
        current[user_id].add(permission_id)
    return current


def _permission_ids(names: set[str]) -> dict[str, int]:
    """{"app_label.codename": id} of these permissions (those that exist)."""
    if not names:
        return {}
    match = Q()
    for name in names:
        app_label, codename = name.split(".", 1)
        match |= Q(content_type__app_label=app_label, codename=codename)
    return {
        f"{app}.{code}": pk
        for pk, app, code in Permission.objects.filter(match).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
