"""Admin access follows role grants: the one place that sets a person's `is_staff`, Django permissions and
auth groups.

A person's capabilities are those of the role templates they hold through an active grant (an entitlement
rule, the HR matrix or an override); an inactive or deleted person holds none. Their permissions become
exactly those the capabilities map to (`courses.capabilities`), they are staff when one of them is an
admin capability, and they belong to no auth group (nothing else hands out permissions). The owner-level
superuser is made by hand (or is the break-glass account) and is never touched: no IdP grants or removes
it. Called for each SSO sign-in (`courses.services.sign_in_access`) and by the reconciler for every
person whose role grants changed (and, on the full run, everyone holding admin power).
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

from lms_identity.models import User
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.sessions import end_sessions_of

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
    order) in one transaction. Each change writes an `admin_access.changed` audit event; a person who
    lost an admin capability has every session ended at once (cause admin_role_lost), so a removed L&D
    admin is out of /admin/ on their next request. Returns counts (changed, sessions_ended)."""
    ids = sorted({uuid.UUID(str(i)) for i in user_ids})
    summary = {"changed": 0, "sessions_ended": 0}
    if not ids:
        return summary
    with transaction.atomic():
        people = list(User.objects.select_for_update().filter(pk__in=ids, is_superuser=False).order_by("pk"))
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
            if staff == person.is_staff and wanted == had and person.pk not in grouped:
                continue
            was_staff = person.is_staff
            lost = (was_staff and not staff) or bool(had - wanted)
            _apply(person, staff=staff, wanted=wanted, had=had)
            record_event(
                actor,
                CHANGED_ACTION,
                person,
                changes={"is_staff": (was_staff, staff)} if staff != was_staff else {},
                context={
                    "capabilities": sorted(caps & ADMIN_CAPABILITIES),
                    "permissions_added": len(wanted - had),
                    "permissions_removed": len(had - wanted),
                },
            )
            summary["changed"] += 1
            if lost:
                summary["sessions_ended"] += end_sessions_of(
                    person, cause=EndCause.ADMIN_ROLE_LOST, actor=actor
                )
    return summary


def refresh_admin_access(user_id: Any, *, actor: Actor) -> dict[str, int]:
    """sync_admin_access for one person, after one read that finds them already as their roles say (the
    usual sign-in): then nothing is locked or written. The read takes no lock; a change to their roles
    meanwhile is synced by the reconcile that made it."""
    if is_current(user_id):
        return {"changed": 0, "sessions_ended": 0}
    return sync_admin_access([user_id], actor=actor)


def is_current(user_id: Any) -> bool:
    """Whether the person's staff flag, permissions and auth groups are already what sync_admin_access
    would make them, in one query (PostgreSQL; elsewhere False: the caller syncs, which writes nothing
    when nothing differs). A superuser is never touched, so always current; a missing person too."""
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
    if row is None or row["is_superuser"]:
        return True
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
    """Of these people, the ones (not superusers) who are staff or hold a permission or auth group: the
    ones a full reconcile re-checks even when their role grants did not change."""
    ids = list(user_ids)
    return list(
        User.objects.filter(pk__in=ids, is_superuser=False)
        .filter(Q(is_staff=True) | Q(user_permissions__isnull=False) | Q(groups__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
    )


def _apply(person: User, *, staff: bool, wanted: set[int], had: set[int]) -> None:
    if staff != person.is_staff:
        person.is_staff = staff
        person.save(update_fields=["is_staff"])
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
