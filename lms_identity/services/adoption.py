"""Which existing accounts an IdP connection may take, and the trace a refusal leaves.

The rule, asked by every path that lands a person in a connection or renames them for one (SCIM POST,
PUT and PATCH through the user services, SSO just-in-time creation and attribute refresh):

- An account with admin power is never adopted by a connection, and an IdP never changes its userName,
  email or externalId to a new value: staff, superuser, any Django permission or auth group, or a role
  one of settings.ADMIN_POWER_CHECKS names (the L&D admin of `courses`, asked through a dotted path so
  the core imports nothing of it). Otherwise a SCIM token, leaked or not, could point an administrator
  at a person of its IdP, who would then sign in as them.
- A just-in-time person this connection's SSO created, and a person this connection deleted, are its
  own: a SCIM create lands on them as before.
- An ordinary account of no connection (made by hand or imported) is adopted only when the connection's
  `adopt_existing_accounts` is on, or when the clean-up before SCIM marked it "to be adopted" by that
  connection; one marked "keep unmanaged" is adopted by none (AccountMark). Every adoption is audited
  (`user.adopted`).
- Anyone else (another connection's person, a live one of this connection) is a plain clash.

A refusal is an AdoptionRefused, which is a UniquenessConflict: SCIM answers 409 `uniqueness`, SSO its
account_conflict page. The edge calls `record_refusal` once the refused change has rolled back; it writes
a `user.adoption_refused` audit event and, for an account with admin power, an outbox event that
provisioning turns into an alert naming the connection (the core cannot import provisioning).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.module_loading import import_string

from lms_identity.compiled_queries import CompiledQuery
from lms_identity.errors import AdoptionRefused, UniquenessConflict
from lms_identity.idp_attributes import IDENTIFYING_FIELDS, IDP_FIELDS
from lms_identity.models import AccountMark, IdpConnection, MarkKind, User
from lms_identity.models.audit import ActorType
from lms_identity.models.sessions import EndCause
from lms_identity.models.users import Source, email_is, user_name_is

from . import outbox
from .audit import Actor, record_event
from .lockout import lock_out
from .merged_accounts import redirect_merged, release_identifiers
from .reporting_lines import waiting_for_new
from .sessions import end_sessions_of
from .uniqueness import save_unique

ADMIN_POWER = "admin_power"
ADOPTION_OFF = "adoption_off"
KEPT = "kept_unmanaged"
# Not a refusal: the account belongs to another connection, or is a live one of this connection.
CLASH = "clash"
ADOPT = "adopt"
RENAME = "rename"
ADOPTED = "user.adopted"
REFUSED = "user.adoption_refused"


@dataclass(frozen=True)
class Standing:
    """What the rule needs to know of an existing account, read from one row (check_adoptable) or in bulk
    for thousands (the clean-up report of lms_identity/cleanup), so both ask the same rule."""

    connection_id: int | None
    source: str
    deleted: bool
    admin_power: bool
    mark: str = ""
    mark_connection_id: int | None = None


def has_admin_power(user: User) -> bool:
    """Whether the account can administer anything: Django's flags, permissions and auth groups (our
    teams are another model and carry no permissions), or an admin role the checks in
    settings.ADMIN_POWER_CHECKS find."""
    if user.is_staff or user.is_superuser:
        return True
    if user.pk is None:
        return False
    if user.user_permissions.exists() or user.groups.exists():
        return True
    return any(user.pk in import_string(path)([user.pk]) for path in settings.ADMIN_POWER_CHECKS)


def list_admin_power_holders(user_ids: Iterable[Any] | None = None) -> set[Any]:
    """The ids, of these people (everyone when None), of the accounts has_admin_power would name: the
    same rule in a fixed number of queries, for reports over many people."""
    ids = None if user_ids is None else list(user_ids)
    people = User.objects.all() if ids is None else User.objects.filter(pk__in=ids)
    flags = Q(is_staff=True) | Q(is_superuser=True)
    flags |= Q(user_permissions__isnull=False) | Q(groups__isnull=False)
    holders = set(people.filter(flags).values_list("pk", flat=True).distinct())
    for path in settings.ADMIN_POWER_CHECKS:
        holders |= set(import_string(path)(ids))
    return holders


def adoption_verdict(standing: Standing, *, connection_id: int | None, adopt_switch: bool) -> str:
    """What a create by this connection (None: no connection) may do with an existing account: ADOPT
    (land on it), or why not: ADMIN_POWER, KEPT, ADOPTION_OFF (refusals) or CLASH (another's)."""
    own = (
        connection_id is not None
        and standing.connection_id == connection_id
        and (standing.source == Source.JIT or standing.deleted)
    )
    if (standing.connection_id is None or own) and standing.admin_power:
        return ADMIN_POWER
    if own:
        return ADOPT
    if standing.connection_id is not None:
        return CLASH
    if connection_id is None:
        return ADOPT
    if standing.mark == MarkKind.KEEP:
        return KEPT
    if adopt_switch or (standing.mark == MarkKind.ADOPT and standing.mark_connection_id == connection_id):
        return ADOPT
    return ADOPTION_OFF


def check_adoptable(user: User, *, connection: IdpConnection | None, field: str = "user_name") -> None:
    """Raise AdoptionRefused (admin power, kept unmanaged, or adoption off) or UniquenessConflict (not
    this connection's to take) unless a create by this connection may land on this existing account."""
    connection_id = getattr(connection, "pk", None)
    verdict = adoption_verdict(
        _standing(user, connection_id),
        connection_id=connection_id,
        adopt_switch=bool(getattr(connection, "adopt_existing_accounts", False)),
    )
    if verdict == ADOPT:
        return
    if verdict == CLASH:
        raise UniquenessConflict(field, f"{field} is already taken")
    raise AdoptionRefused(field, user=user, connection_id=connection_id, reason=verdict, attempt=ADOPT)


def _standing(user: User, connection_id: int | None) -> Standing:
    """The account's standing, with only the queries its case needs (admin power only within reach, the
    mark only for an account of no connection a connection asks for)."""
    reach = _within_reach(user, connection_id)
    mark = None
    if user.connection_id is None and connection_id is not None:
        mark = AccountMark.objects.filter(user_id=user.pk).only("kind", "connection_id").first()
    return Standing(
        connection_id=user.connection_id,
        source=user.source,
        deleted=user.is_deleted,
        admin_power=reach and has_admin_power(user),
        mark=mark.kind if mark else "",
        mark_connection_id=mark.connection_id if mark else None,
    )


def find_adoptable(
    connection: IdpConnection | None, *, user_name: str, email: str = "", external_id: str = ""
) -> tuple[User | None, list[User]]:
    """The existing account a create should land on instead of a duplicate, locked, or None when the
    userName and email are free. Raises as check_adoptable does when they are taken. Also locks, in the
    same statement and in primary key order, the people waiting for this person as their manager
    (reporting_lines.waiting_for_new), and returns them second, so the create needs no second round trip
    for them."""
    locked = _LOCKED_LOOKUP(
        user_name=user_name,
        email=email,
        connection_id=getattr(connection, "pk", None),
        external_id=external_id,
    )
    candidates = [person for person in locked if getattr(person, "candidate")]  # noqa: B009 - annotated
    others = [person for person in locked if not getattr(person, "candidate")]  # noqa: B009
    if not candidates:
        return None, others
    # A merged duplicate stands for the account it went into (and gives up what the create names).
    landing = redirect_merged(candidates)
    if len(landing) == 1:
        target = landing[0]
        check_adoptable(target, connection=connection, field=_clash_field(target, user_name))
        if target is not candidates[0] or len(candidates) > 1:
            actor = Actor.of_connection(connection) if connection else Actor.system("adoption")
            release_identifiers(candidates, survivor=target, user_name=user_name, email=email, actor=actor)
        return target, others
    check_no_admin_power(landing, connection_id=getattr(connection, "pk", None), user_name=user_name)
    field = _clash_field(landing[0], user_name)
    raise UniquenessConflict(field, f"{field} is already taken")


def nothing_to_adopt(
    connection: IdpConnection | None, *, user_name: str, email: str = "", external_id: str = ""
) -> tuple[str, list[Any]]:
    """What find_adoptable would lock, as a query (SQL, parameters) that a create may give
    event_rows.insert_together as `unless_found`: when it finds no row there is no account to land on or
    clash with and nobody waiting for the person as their manager, so the create may insert at once, in
    one statement with this check, without the locked lookup's transaction."""
    return _LOOKUP.sql(
        user_name=user_name,
        email=email,
        connection_id=getattr(connection, "pk", None),
        external_id=external_id,
    )


def _lookup(user_name: str, email: str, connection_id: int | None, external_id: str) -> QuerySet[User]:
    match = user_name_is(user_name)
    if email:
        match |= email_is(email)
    waiting = waiting_for_new(connection_id, user_name=user_name, external_id=external_id)
    # The database says which rows are candidates: Python's lower() is not PostgreSQL's. At most two
    # candidates (both keys are unique). No LIMIT: with ORDER BY pk LIMIT the planner walks the primary
    # key and filters the whole table instead of using the two Lower() indexes.
    return (
        User.objects.filter(match | waiting)
        .annotate(candidate=ExpressionWrapper(match, BooleanField()))
        .order_by("pk")
    )


def _locked_lookup(user_name: str, email: str, connection_id: int | None, external_id: str) -> QuerySet[User]:
    return _lookup(user_name, email, connection_id, external_id).select_for_update()


# Compiled once per shape: building and compiling this queryset was a third of a SCIM create's CPU.
_LOCKED_LOOKUP = CompiledQuery(_locked_lookup)
_LOOKUP = CompiledQuery(_lookup)


def check_no_admin_power(people: Iterable[User], *, connection_id: int | None, user_name: str) -> None:
    """Raise AdoptionRefused when any of these accounts, which a create by this connection could land
    on, has admin power (people of another connection are out of its reach and only clash)."""
    for person in people:
        if _within_reach(person, connection_id) and has_admin_power(person):
            raise AdoptionRefused(
                _clash_field(person, user_name),
                user=person,
                connection_id=connection_id,
                reason=ADMIN_POWER,
                attempt=ADOPT,
            )


def check_renamable(user: User, diff: dict[str, tuple[Any, Any]], *, actor: Actor) -> None:
    """Raise AdoptionRefused when an IdP (a connection actor) would give an account with admin power a
    new userName, email or externalId. Clearing one, or changing only its case, is no rename: it points
    the account at nobody new."""
    if actor.type != ActorType.CONNECTION:
        return
    renamed = [
        f for f in IDP_FIELDS if f in IDENTIFYING_FIELDS and f in diff and _points_elsewhere(f, *diff[f])
    ]
    if renamed and has_admin_power(user):
        raise AdoptionRefused(
            renamed[0], user=user, connection_id=actor.connection_id, reason=ADMIN_POWER, attempt=RENAME
        )


def adopt(
    user: User, *, connection: IdpConnection | None, actor: Actor, attrs: dict[str, Any], source: str
) -> User:
    """Move an account check_adoptable allowed into this connection with the create's attributes, on the
    row find_adoptable locked, inside the caller's transaction. Audited (user.adopted, with the previous
    owner); a create with active false locks the person out as a deactivation would."""
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
        lock_out(user, actor=actor, reason="adopted with active false")
    user.version += 1
    save_unique(user)
    record_event(
        actor,
        ADOPTED,
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


def record_refusal(refusal: AdoptionRefused) -> None:
    """Leave the trace of a refused adoption or rename, after the refused change has rolled back: a
    user.adoption_refused audit event naming the connection, and for an account with admin power an
    outbox event (adoption.refused) that provisioning raises as an alert. One transaction."""
    connection = (
        IdpConnection.objects.filter(pk=refusal.connection_id).first() if refusal.connection_id else None
    )
    actor = Actor.of_connection(connection) if connection is not None else Actor.system("adoption")
    with transaction.atomic():
        record_event(
            actor,
            REFUSED,
            refusal.user,
            context={"reason": refusal.reason, "attempt": refusal.attempt, "field": refusal.field},
            connection_id=refusal.connection_id,
        )
        if refusal.reason == ADMIN_POWER:
            outbox.emit(
                outbox.ADOPTION_REFUSED,
                {
                    "connection_id": refusal.connection_id,
                    "user_id": str(refusal.user.pk),
                    "attempt": refusal.attempt,
                },
            )


def _within_reach(user: User, connection_id: int | None) -> bool:
    """An account a create by this connection would land on if the rule let it: one of no connection,
    or one of its own it may take back."""
    return user.connection_id is None or _is_own(user, connection_id)


def _is_own(user: User, connection_id: int | None) -> bool:
    if connection_id is None or user.connection_id != connection_id:
        return False
    return user.source == Source.JIT or user.is_deleted


def _clash_field(user: User, user_name: str) -> str:
    return "user_name" if user.user_name.lower() == user_name.lower() else "email"


def _points_elsewhere(field: str, before: Any, after: Any) -> bool:
    if not after:
        return False
    if field == "external_id":
        return bool(before != after)
    return str(before or "").lower() != str(after).lower()
