"""The deactivated duplicates a clean-up merge left behind (services/account_cleanup.py), as the adoption
rule meets them: a create that names a duplicate's userName or email lands on the account it was merged
into, and the duplicate gives that userName or email up in the same transaction, so the survivor can take
it without a clash. Runs inside the caller's transaction, on rows it locked."""

from typing import Any

from django.db.models import Q

from lms_identity.models import AccountMark, MarkKind, User

from .audit import Actor, record_event

RELEASED = "user.merge_identifiers_released"


def redirect_merged(candidates: list[User]) -> list[User]:
    """The accounts a create should consider: each merged duplicate replaced by the account it was merged
    into (locked), repeats dropped, in the order given. No query unless a candidate could be a merged
    duplicate (inactive, of no connection)."""
    maybe = [c.pk for c in candidates if c.connection_id is None and not c.is_active]
    if not maybe:
        return candidates
    marks: dict[Any, Any] = dict(
        AccountMark.objects.filter(user_id__in=maybe, kind=MarkKind.MERGED).values_list(
            "user_id", "merged_into_id"
        )
    )
    if not marks:
        return candidates
    survivors: dict[Any, User] = {
        u.pk: u for u in User.objects.select_for_update().filter(pk__in=set(marks.values())).order_by("pk")
    }
    landing: list[User] = []
    for candidate in candidates:
        target = survivors.get(marks.get(candidate.pk), candidate)
        if all(target.pk != seen.pk for seen in landing):
            landing.append(target)
    return landing


def release_identifiers(
    candidates: list[User], *, survivor: User, user_name: str, email: str, actor: Actor
) -> None:
    """Clear the userName and email a create gives the survivor from the merged duplicates (among the
    locked candidates) that still hold them: the userName becomes `merged-<id>`, the email empty.
    Audited on each duplicate with the values it gave up."""
    for duplicate in candidates:
        if duplicate.pk == survivor.pk:
            continue
        changes = {}
        if duplicate.user_name.lower() == user_name.lower():
            changes["user_name"] = (duplicate.user_name, f"merged-{duplicate.pk}")
        if email and duplicate.email.lower() == email.lower():
            changes["email"] = (duplicate.email, "")
        if not changes:
            continue
        for field, (_, value) in changes.items():
            setattr(duplicate, field, value)
        duplicate.version += 1
        duplicate.save(update_fields=[*changes, "version", "updated_at"])
        record_event(actor, RELEASED, duplicate, changes=changes, context={"merged_into": str(survivor.pk)})


def merged_into(user_ids: list[object]) -> dict[object, object]:
    """Of these accounts, the merged duplicates and the account each went into (for reports)."""
    rows = AccountMark.objects.filter(Q(user_id__in=user_ids), kind=MarkKind.MERGED)
    return dict(rows.values_list("user_id", "merged_into_id"))
