"""The clean-up before SCIM: import the LMS's existing accounts, merge the duplicates the report found,
and mark accounts for the adoption rule (lms_identity/cleanup holds the reading and the report).

Every action runs in one transaction that locks the accounts it changes in primary-key order, writes
its audit events beside the change, and refuses accounts with admin power (they are never merged or
marked for adoption, as they are never adopted). A repeat is a no-op.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from lms_identity.cleanup.files import AccountRow
from lms_identity.cleanup.report import build_report
from lms_identity.errors import CleanupRefused, IdentityError
from lms_identity.models import AccountMark, IdpConnection, MarkKind, Membership, User
from lms_identity.models.users import Source, email_is, user_name_is

from . import outbox, users
from .adoption import has_admin_power
from .attribute_checks import MANAGER_KEY
from .audit import Actor, record_event
from .lockout import deactivate_user

MERGED = "user.merged"
MARKED = "user.marked"
UNMARKED = "user.unmarked"
# What a merge copies to the survivor when the survivor has none: never an identifier (userName,
# email, externalId), which stay with their account.
FILLED_ON_MERGE = ("given_name", "family_name", "employee_number", "display_name", "title", "department")


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    merged: int = 0
    merges_refused: list[str] = field(default_factory=list)


def apply_cleanup(rows: list[AccountRow], *, actor: Actor) -> ImportSummary:
    """Import every row (import_row), then merge the duplicates (merge_duplicates). Each row and each
    merge is its own transaction: a refusal leaves the others done."""
    summary = ImportSummary()
    for row in rows:
        count_outcome(summary, row, import_row(row, actor=actor))
    summary.merged, summary.merges_refused = merge_duplicates(rows, actor=actor)
    return summary


def count_outcome(summary: ImportSummary, row: AccountRow, outcome: str) -> None:
    if outcome in ("created", "updated", "unchanged"):
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    else:
        summary.skipped.append((row.line, outcome))


def merge_duplicates(rows: list[AccountRow], *, actor: Actor) -> tuple[int, list[str]]:
    """Merge each duplicate group the report of these rows now plans (after their import) and nothing
    blocks. Returns how many accounts were merged, and the refusals met."""
    report = build_report(rows, [], connections=[])
    by_pk = User.objects.in_bulk([pk for g in report.groups for pk in [g.keep_pk, *g.merge_pks] if pk])
    merged, refused = 0, []
    for group in report.groups:
        if group.blocked or not group.keep_pk:
            continue
        for duplicate_pk in group.merge_pks:
            try:
                keeper, duplicate = by_pk[_uuid(group.keep_pk)], by_pk[_uuid(duplicate_pk)]
                merged += merge_accounts(keeper, duplicate, actor=actor)
            except CleanupRefused as refusal:
                refused.append(refusal.message)
    return merged, refused


def import_row(row: AccountRow, *, actor: Actor) -> str:
    """Create the account of this row, or update the one account of no connection it names by userName
    or email, through the user services (audited). Returns "created", "updated" or "unchanged", or why
    the row was skipped: an account with admin power or one an IdP owns is never changed."""
    named = list(User.objects.filter(user_name_is(row.user_name) | _email_match(row.email))[:3])
    attrs: dict[str, Any] = {
        "user_name": row.user_name,
        "email": row.email,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "employee_number": row.employee_number,
        "external_id": row.external_id,
        "is_active": row.active,
    }
    if row.manager:
        attrs[MANAGER_KEY] = _manager_ref(row.manager)
    try:
        if not named:
            users.create_user(connection=None, actor=actor, attrs=attrs, source=Source.MANUAL)
            return "created"
        if len(named) > 1:
            return "skipped: its userName and email name two accounts (merged after the import)"
        account = named[0]
        merged = AccountMark.objects.filter(user=account, kind=MarkKind.MERGED).first()
        if merged is not None:
            return f"skipped: the account was merged into {merged.merged_into}"
        if account.connection_id is not None:
            return "skipped: the account belongs to an IdP connection, which owns its attributes"
        if has_admin_power(account):
            return "skipped: the account has admin power"
        changes = {k: v for k, v in attrs.items() if v or k == "is_active"}
        if account.user_name.lower() == row.user_name.lower():
            changes.pop("user_name")  # keep the stored case: the row names the same account
        if account.email.lower() == row.email.lower():
            changes.pop("email")
        _, changed = users.update_user(account, actor=actor, changes=changes)
    except IdentityError as exc:
        return f"skipped: {exc}"
    return "updated" if changed else "unchanged"


def merge_accounts(keeper: User, duplicate: User, *, actor: Actor) -> bool:
    """Fold the duplicate into the keeper: its team memberships and direct reports move to the keeper,
    the keeper's empty profile fields take the duplicate's values, the duplicate is locked out and
    marked merged (a later SCIM create naming it lands on the keeper, services/merged_accounts.py).
    One transaction locking both; audited on both (user.merged). Refuses admin power on either side and
    a duplicate an IdP owns. Idempotent: False when the duplicate was merged into the keeper already."""
    if keeper.pk == duplicate.pk:
        raise CleanupRefused("an account cannot be merged into itself")
    with transaction.atomic():
        locked = User.objects.select_for_update().in_bulk([keeper.pk, duplicate.pk])
        keeper, duplicate = locked[keeper.pk], locked[duplicate.pk]
        mark = AccountMark.objects.filter(user=duplicate).first()
        if mark is not None and mark.kind == MarkKind.MERGED and mark.merged_into_id == keeper.pk:
            return False
        _check_mergeable(keeper, duplicate)
        filled = {
            f: (getattr(keeper, f), getattr(duplicate, f))
            for f in FILLED_ON_MERGE
            if not getattr(keeper, f) and getattr(duplicate, f)
        }
        for name, (_, value) in filled.items():
            setattr(keeper, name, value)
        moved_teams = _move_memberships(duplicate, keeper)
        moved_reports = _move_reports(duplicate, keeper, actor=actor)
        if filled:
            keeper.version += 1
            keeper.save(update_fields=[*filled, "version", "updated_at"])
        AccountMark.objects.update_or_create(
            user=duplicate,
            defaults={
                "kind": MarkKind.MERGED,
                "merged_into": keeper,
                "connection": None,
                "marked_by": actor.label,
            },
        )
        context = {"teams_moved": moved_teams, "reports_moved": moved_reports}
        record_event(actor, MERGED, keeper, changes=filled, context={**context, "from": str(duplicate.pk)})
        record_event(actor, MERGED, duplicate, context={**context, "into": str(keeper.pk)})
        deactivate_user(duplicate, actor=actor, reason=f"merged into {keeper.user_name}")
        outbox.emit(outbox.USER_CHANGED, {"user_ids": [str(keeper.pk), str(duplicate.pk)]})
    return True


def mark_account(
    user: User, *, kind: str, actor: Actor, connection: IdpConnection | None = None, note: str = ""
) -> bool:
    """Mark an account of no connection "keep unmanaged" (no IdP adopts it) or "to be adopted" by one
    connection (adopted by it even with its switch off). An account with admin power is never marked
    for adoption. One transaction, the account locked; audited (user.marked). Idempotent."""
    if kind not in (MarkKind.KEEP, MarkKind.ADOPT):
        raise CleanupRefused("an account is marked to keep unmanaged or to be adopted")
    if (kind == MarkKind.ADOPT) != (connection is not None):
        raise CleanupRefused("a mark to be adopted names its connection, and only it does")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.connection_id is not None:
            raise CleanupRefused(f"{user.user_name} belongs to an IdP connection already")
        if kind == MarkKind.ADOPT and has_admin_power(user):
            raise CleanupRefused(f"{user.user_name} has admin power: it is never adopted by an IdP")
        current = AccountMark.objects.filter(user=user).first()
        if current is not None and current.kind == MarkKind.MERGED:
            raise CleanupRefused(f"{user.user_name} was merged into another account")
        wanted = (kind, getattr(connection, "pk", None))
        if current is not None and (current.kind, current.connection_id) == wanted:
            return False
        AccountMark.objects.update_or_create(
            user=user,
            defaults={"kind": kind, "connection": connection, "note": note[:255], "marked_by": actor.label},
        )
        record_event(
            actor,
            MARKED,
            user,
            changes={"mark": (current.kind if current else "", kind)},
            context={"connection": getattr(connection, "slug", ""), "note": note[:255]},
        )
    return True


def clear_mark(user: User, *, actor: Actor) -> bool:
    """Remove a keep or adopt mark (a merge's mark stays). Audited (user.unmarked). Idempotent."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        mark = AccountMark.objects.filter(user=user).exclude(kind=MarkKind.MERGED).first()
        if mark is None:
            return False
        mark.delete()
        record_event(actor, UNMARKED, user, changes={"mark": (mark.kind, "")})
    return True


def _check_mergeable(keeper: User, duplicate: User) -> None:
    for account in (keeper, duplicate):
        if has_admin_power(account):
            raise CleanupRefused(f"{account.user_name} has admin power: privileged accounts are never merged")
    if duplicate.connection_id is not None:
        raise CleanupRefused(f"{duplicate.user_name} belongs to an IdP connection: merge it in the IdP")
    if AccountMark.objects.filter(user=keeper, kind=MarkKind.MERGED).exists():
        raise CleanupRefused(f"{keeper.user_name} was merged into another account already")


def _move_memberships(duplicate: User, keeper: User) -> int:
    held = set(Membership.objects.filter(user=keeper).values_list("group_id", "source"))
    moving = [m for m in Membership.objects.filter(user=duplicate) if (m.group_id, m.source) not in held]
    Membership.objects.bulk_create(
        [Membership(group_id=m.group_id, user=keeper, source=m.source) for m in moving]
    )
    Membership.objects.filter(user=duplicate).delete()
    return len(moving)


def _move_reports(duplicate: User, keeper: User, *, actor: Actor) -> int:
    reports = list(User.objects.select_for_update().filter(manager=duplicate).exclude(pk=keeper.pk))
    for report in sorted(reports, key=lambda r: r.pk):
        report.manager = keeper
        report.version += 1
        report.save(update_fields=["manager", "version", "updated_at"])
        record_event(
            actor, "user.manager_changed", report, changes={"manager": (str(duplicate.pk), str(keeper.pk))}
        )
    return len(reports)


def _email_match(email: str) -> Q:
    return email_is(email) if email else Q(pk__in=[])


def _manager_ref(ref: str) -> str:
    """The row's manager (a userName or an email) as the userName set_manager resolves."""
    manager = User.objects.filter(user_name_is(ref) | email_is(ref)).order_by("pk").first()
    return manager.user_name if manager is not None else ref


def _uuid(pk: str) -> Any:
    return User._meta.pk.to_python(pk)  # type: ignore[union-attr]
