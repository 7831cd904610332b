"""Groups and memberships. Membership changes cost in proportion to the change, not to the group."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from lms_identity.errors import InvalidValue, UniquenessConflict, VersionMismatch
from lms_identity.models import AuditEvent, Group, IdpConnection, Membership, User
from lms_identity.models.groups import GroupSource

from . import outbox
from .audit import Actor, record_event
from .audit_sealer import seal_after_commit

CHUNK = 2000


def create_group(
    *,
    connection: IdpConnection | None,
    actor: Actor,
    display_name: str,
    external_id: str = "",
    source: str = GroupSource.SCIM,
) -> Group:
    """Create a group; a displayName taken in the same connection is a UniquenessConflict. Audited."""
    _check_group_fields(display_name, external_id)
    with transaction.atomic():
        group = Group(
            connection=connection, display_name=display_name, external_id=external_id, source=source
        )
        _save_unique(group, force_insert=True)
        record_event(
            actor,
            "group.created",
            group,
            changes={"display_name": (None, display_name), "external_id": (None, external_id)},
            emit=(outbox.GROUP_CHANGED, {"group_ids": [str(group.pk)]}),
        )
    return group


def update_group(
    group: Group, *, actor: Actor, changes: dict[str, Any], expected_version: int | None = None
) -> list[str]:
    """Rename a group or change its externalId. Returns the fields changed ([] when none). Audited."""
    unknown = set(changes) - {"display_name", "external_id"}
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be set")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        if expected_version is not None and group.version != expected_version:
            raise VersionMismatch()
        merged = {"display_name": group.display_name, "external_id": group.external_id, **changes}
        _check_group_fields(merged["display_name"], merged["external_id"])
        diff = {k: (getattr(group, k), v) for k, v in changes.items() if getattr(group, k) != v}
        if not diff:
            return []
        for field, (_, value) in diff.items():
            setattr(group, field, value)
        group.version += 1
        _save_unique(group, update_fields=[*diff, "version", "updated_at"])
        record_event(
            actor,
            "group.updated",
            group,
            changes=diff,
            emit=(outbox.GROUP_CHANGED, {"group_ids": [str(group.pk)]}),
        )
    return list(diff)


def delete_group(group: Group, *, actor: Actor, expected_version: int | None = None) -> None:
    """Delete a group and its memberships. The members' grants are recomputed by the outbox event."""
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        if expected_version is not None and group.version != expected_version:
            raise VersionMismatch()
        member_ids = [
            str(u) for u in Membership.objects.filter(group=group).values_list("user_id", flat=True)
        ]
        record_event(
            actor,
            "group.deleted",
            group,
            context={"members": len(member_ids)},
            emit=(outbox.GROUP_CHANGED, {"group_ids": [str(group.pk)], "user_ids": member_ids}),
        )
        group.delete()


def add_group_members(
    group: Group, user_ids: Iterable[Any], *, actor: Actor, source: str = GroupSource.SCIM
) -> list[str]:
    """Add people to the group. Only people of the group's connection count; ids already members (for this
    source) are skipped, so a repeat is a no-op and concurrent adds lose none. Returns the ids added."""
    wanted = _unique_ids(user_ids)
    added: list[str] = []
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        for chunk in _chunks(wanted):
            present = set(
                Membership.objects.filter(group=group, source=source, user_id__in=chunk).values_list(
                    "user_id", flat=True
                )
            )
            eligible = User.objects.filter(
                pk__in=[u for u in chunk if u not in present],
                connection_id=group.connection_id,
                deleted_at__isnull=True,
            ).values_list("pk", flat=True)
            new = list(eligible)
            Membership.objects.bulk_create(
                [Membership(group=group, user_id=u, source=source) for u in new], ignore_conflicts=True
            )
            added.extend(str(u) for u in new)
        _record_membership(group, actor, "group.member_added", added)
    return added


def remove_group_members(
    group: Group, user_ids: Iterable[Any], *, actor: Actor, source: str = GroupSource.SCIM
) -> list[str]:
    """Remove people from the group (memberships of this source only). Returns the ids removed."""
    wanted = _unique_ids(user_ids)
    removed: list[str] = []
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        for chunk in _chunks(wanted):
            rows = Membership.objects.filter(group=group, source=source, user_id__in=chunk)
            ids = list(rows.values_list("user_id", flat=True))
            if ids:
                Membership.objects.filter(group=group, source=source, user_id__in=ids).delete()
            removed.extend(str(u) for u in ids)
        _record_membership(group, actor, "group.member_removed", removed)
    return removed


def replace_group_members(
    group: Group, user_ids: Iterable[Any], *, actor: Actor, source: str = GroupSource.SCIM
) -> tuple[list[str], list[str]]:
    """Make the group's members (of this source) exactly these people. Returns (added, removed)."""
    wanted = set(_unique_ids(user_ids))
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        current = set(Membership.objects.filter(group=group, source=source).values_list("user_id", flat=True))
        removed = remove_group_members(group, current - wanted, actor=actor, source=source)
        added = add_group_members(group, wanted - current, actor=actor, source=source)
    return added, removed


def list_member_ids(group: Group, *, source: str | None = GroupSource.SCIM) -> list[str]:
    rows = Membership.objects.filter(group=group)
    if source is not None:
        rows = rows.filter(source=source)
    return [str(u) for u in rows.order_by("user_id").values_list("user_id", flat=True)]


def _record_membership(group: Group, actor: Actor, action: str, user_ids: list[str]) -> None:
    if not user_ids:
        return
    # The ETag and meta.lastModified move together: an IdP comparing lastModified sees the change too.
    now = timezone.now()
    Group.objects.filter(pk=group.pk).update(version=group.version + 1, updated_at=now)
    group.version += 1
    group.updated_at = now
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_type=actor.type,
                actor_id=actor.id,
                actor_label=actor.label,
                action=action,
                target_type="user",
                target_id=uid,
                connection_id=group.connection_id,
                context={"group_id": str(group.pk), "group": group.display_name},
            )
            for uid in user_ids
        ],
        batch_size=CHUNK,
    )
    seal_after_commit()
    outbox.emit(outbox.MEMBERSHIP_CHANGED, {"group_ids": [str(group.pk)], "user_ids": user_ids})


def _unique_ids(user_ids: Iterable[Any]) -> list[uuid.UUID]:
    seen: dict[uuid.UUID, None] = {}
    for raw in user_ids:
        try:
            seen.setdefault(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)), None)
        except ValueError:
            raise InvalidValue("members", f"{str(raw)[:64]!r} is not a member id") from None
    return list(seen)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _check_group_fields(display_name: str, external_id: str) -> None:
    if not isinstance(display_name, str) or not display_name.strip():
        raise InvalidValue("display_name", "displayName is required")
    if len(display_name) > 255 or "\x00" in display_name:
        raise InvalidValue("display_name", "displayName is longer than 255 characters or has a NUL")
    if not isinstance(external_id, str) or len(external_id) > 255 or "\x00" in external_id:
        raise InvalidValue(
            "external_id", "externalId must be a string of at most 255 characters, without NUL"
        )


def _save_unique(group: Group, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            group.save(**kwargs)
    except IntegrityError:
        raise UniquenessConflict(
            "display_name", "a group with this displayName or externalId exists"
        ) from None
