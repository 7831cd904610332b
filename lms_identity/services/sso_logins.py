"""Who signs in through OpenID Connect: find the person, create them just in time, refresh and map groups.

The person is found by (connection, sub) first. On a first sign-in the connection's configured join finds
the person its SCIM connector provisioned (externalId = sub or oid, or a verified email), always within
the same connection: an email never links a sign-in to a person of another connection.

Attribute rule: a person whose source is SCIM is owned by the SCIM connector, so a sign-in never changes
their attributes or SCIM memberships; a just-in-time person's attributes are refreshed from the claims on
every sign-in. Memberships from the groups claim carry source "claims" and are the only ones a sign-in
changes.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from lms_identity.errors import AdoptionRefused, IdentityError, InvalidValue, UniquenessConflict
from lms_identity.idp_attributes import REFRESHED_AT_SIGN_IN
from lms_identity.models import (
    Group,
    GroupClaimMapping,
    IdpConnection,
    LoginRecord,
    OidcConfig,
    SubjectLink,
    User,
)
from lms_identity.models.groups import GroupSource
from lms_identity.models.oidc import JitPolicy, UserJoin
from lms_identity.models.users import Source, email_is, user_name_is
from lms_identity.services import adoption
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.groups import add_group_members, remove_group_members
from lms_identity.services.users import create_user, update_user

SIGN_IN_ACTION = "sso.login"


class SignInRefused(IdentityError):
    """The person may not sign in. `reason` is a code the SSO views know (user_inactive, ...)."""

    def __init__(self, reason: str, detail: str = "", *, user: User | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.user = user
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass
class Evidence:
    """What the IdP told us about how the person authenticated."""

    mfa: bool = False
    amr: list[str] = field(default_factory=list)
    acr: str = ""


def find_person(config: OidcConfig, claims: dict[str, Any]) -> User | None:
    """The person these claims name within this connection, or None. Reads only."""
    link = (
        SubjectLink.objects.select_related("user")
        .filter(connection_id=config.connection_id, sub=claims["sub"])
        .first()
    )
    if link is not None:
        return link.user
    in_connection = User.objects.filter(connection_id=config.connection_id)
    if config.user_join == UserJoin.SUB:
        return _unique(in_connection.filter(external_id=claims["sub"]))
    if config.user_join == UserJoin.OID:
        oid = claims.get("oid")
        return _unique(in_connection.filter(external_id=oid)) if isinstance(oid, str) and oid else None
    email = claims.get("email")
    if isinstance(email, str) and email and claims.get("email_verified") is True:
        return _unique(in_connection.filter(email_is(email)))
    return None


def _unique(people: Any) -> User | None:
    """The one person a lookup on a unique key finds. Not .first(): its ORDER BY pk LIMIT 1 lets
    PostgreSQL walk the primary key through the whole table when nobody matches (a new subject)."""
    found = list(people)
    return found[0] if found else None


def sign_in_person(config: OidcConfig, user: User, claims: dict[str, Any], evidence: Evidence) -> User:
    """Sign in a person we know: refuse them if inactive or deleted, link their subject, refresh the
    attributes SCIM does not own, sync claim memberships, record the login. One transaction, the person's
    row locked; audited (sso.login, outcome success)."""
    connection = config.connection
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active or user.is_deleted:
            raise SignInRefused("user_inactive", "the account is deactivated or deleted", user=user)
        _link_subject(connection, claims["sub"], user)
        if user.source != Source.SCIM:
            _refresh_attributes(config, user, claims)
        groups_changed = _sync_claim_groups(config, user, claims)
        _record_success(connection, user, evidence, created=False)
    refresh_access(user, groups_changed=groups_changed)
    user.refresh_from_db()  # update_user and the access hooks changed their own copies of the row
    return user


def create_person(config: OidcConfig, claims: dict[str, Any], evidence: Evidence) -> User:
    """Create a person just in time when the connection's JIT policy allows it, link the subject, map
    groups, record the login. Never adopts an existing account (that would be matching by email); one
    with admin power that the claims point at is refused with the adoption rule's trace (audit event
    and alert). One transaction; audited (user.created by the core, sso.login)."""
    connection = config.connection
    check_jit_allowed(config, claims)
    attrs = _mapped_attributes(config, claims)
    user_name = attrs.get("email") or f"{claims['sub']}@{connection.slug}.sso"
    taken = user_name_is(user_name)
    if attrs.get("email"):
        taken |= email_is(attrs["email"])
    try:
        with transaction.atomic():
            # No LIMIT (exists() adds one): with it PostgreSQL scans the table instead of the Lower() indexes.
            existing = list(User.objects.filter(taken))
            if existing:
                adoption.check_no_admin_power(existing, connection_id=connection.pk, user_name=user_name)
                raise SignInRefused("account_conflict", "an account with this email already exists")
            user, _ = create_user(
                connection=connection,
                actor=Actor.of_connection(connection),
                attrs={**attrs, "user_name": user_name},
                source=Source.JIT,
            )
            _link_subject(connection, claims["sub"], user)
            _sync_claim_groups(config, user, claims)
            _record_success(connection, user, evidence, created=True)
    except AdoptionRefused as refusal:
        adoption.record_refusal(refusal)
        raise SignInRefused("account_conflict", "an account with this email already exists") from None
    except (UniquenessConflict, InvalidValue) as exc:
        raise SignInRefused("account_conflict", str(exc)) from None
    refresh_access(user, groups_changed=True)
    user.refresh_from_db()
    return user


def refresh_access(user: User, *, groups_changed: bool) -> None:
    """Recompute what the person may do now that the sign-in refreshed their groups: each hook of
    settings.SIGN_IN_ACCESS_HOOKS (dotted paths to `(user, *, groups_changed) -> None`; `courses`
    reconciles the person's grants when the groups claim changed their groups, and sets their admin
    access from their roles), so admin power follows the IdP at every sign-in without the core importing
    the app that decides it."""
    for path in settings.SIGN_IN_ACCESS_HOOKS:
        import_string(path)(user, groups_changed=groups_changed)


def check_jit_allowed(config: OidcConfig, claims: dict[str, Any]) -> None:
    """Raise SignInRefused("jit_not_allowed") unless the JIT policy lets these claims create a person."""
    if config.jit_policy == JitPolicy.CREATE:
        return
    if config.jit_policy == JitPolicy.OFF:
        raise SignInRefused("jit_not_allowed", "no account was provisioned for this person")
    domains, group = config.domain_list, config.jit_required_group
    if not domains and not group:
        raise SignInRefused("jit_not_allowed", "restricted JIT has neither domains nor a group set")
    email = claims.get("email")
    if domains and claims.get("email_verified") is False:
        # Some IdPs let people type their own email; one the IdP calls unverified proves no domain.
        raise SignInRefused("jit_not_allowed", "the IdP says the email is not verified")
    if domains and not (isinstance(email, str) and email.rsplit("@", 1)[-1].lower() in domains):
        raise SignInRefused("jit_not_allowed", "the email domain is not allowed to create accounts")
    if group and group not in _claim_values(config, claims):
        raise SignInRefused("jit_not_allowed", "the person is not in the group required to create accounts")


def record_refusal(
    connection: IdpConnection | None, *, reason: str, detail: str, user: User | None = None
) -> None:
    """Write the audit event of a refused sign-in (sso.login, outcome refused)."""
    actor = Actor.of_connection(connection) if connection is not None else Actor.system("sso")
    with transaction.atomic():
        record_event(
            actor,
            SIGN_IN_ACTION,
            user,
            context={"outcome": "refused", "reason": reason, "detail": detail},
            connection_id=getattr(connection, "pk", None),
        )


def _link_subject(connection: IdpConnection, sub: str, user: User) -> None:
    now = timezone.now()
    links = SubjectLink.objects.filter(connection=connection, sub=sub)
    if links.filter(user=user).update(last_login_at=now):
        return  # a returning learner: one statement
    try:
        with transaction.atomic():
            SubjectLink.objects.create(connection=connection, sub=sub, user=user, last_login_at=now)
    except IntegrityError:
        # Linked meanwhile: by a parallel first sign-in of this person (fine), or to someone else.
        if not links.filter(user=user).update(last_login_at=now):
            raise SignInRefused("account_conflict", "this subject is linked to another person") from None
        return
    record_event(Actor.of_connection(connection), "sso.subject_linked", user, context={"sub": sub[:255]})


def _mapped_attributes(config: OidcConfig, claims: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for ours, claim in (config.claim_mapping or {}).items():
        value = claims.get(claim)
        if isinstance(value, str) and value.strip() and ours in REFRESHED_AT_SIGN_IN:
            attrs[ours] = value.strip()[: User._meta.get_field(ours).max_length or 255]  # type: ignore[union-attr]
    return attrs


def _refresh_attributes(config: OidcConfig, user: User, claims: dict[str, Any]) -> None:
    attrs = _mapped_attributes(config, claims)
    try:
        update_user(user, actor=Actor.of_connection(config.connection), changes=attrs)
    except (UniquenessConflict, InvalidValue) as exc:
        if isinstance(exc, AdoptionRefused):
            # The claims would give an account with admin power a new email: never (adoption rule).
            # The sign-in goes on with the stored email; the attempt is audited and alerted.
            adoption.record_refusal(exc)
        # Another person holds the new email: keep the old one rather than refuse the sign-in.
        attrs.pop("email", None)
        update_user(user, actor=Actor.of_connection(config.connection), changes=attrs)


def _claim_values(config: OidcConfig, claims: dict[str, Any]) -> set[str]:
    raw = claims.get(config.groups_claim) if config.groups_claim else None
    if isinstance(raw, str):
        raw = [raw]
    return {v for v in raw if isinstance(v, str)} if isinstance(raw, list) else set()


def _sync_claim_groups(config: OidcConfig, user: User, claims: dict[str, Any]) -> bool:
    """Make the person's "claims" memberships exactly the mapped groups of this claim. A token without the
    claim (or an Entra overage pointer, `_claim_names`) leaves them as they are. Returns whether any
    membership changed."""
    if not config.groups_claim or config.groups_claim not in claims:
        return False
    values = _claim_values(config, claims)
    wanted = set(
        GroupClaimMapping.objects.filter(
            connection_id=config.connection_id, claim_value__in=values
        ).values_list("group_id", flat=True)
    )
    current = set(user.memberships.filter(source=GroupSource.CLAIMS).values_list("group_id", flat=True))
    actor = Actor.of_connection(config.connection)
    for group in Group.objects.filter(pk__in=wanted - current).order_by("pk"):
        add_group_members(group, [user.pk], actor=actor, source=GroupSource.CLAIMS)
    for group in Group.objects.filter(pk__in=current - wanted).order_by("pk"):
        remove_group_members(group, [user.pk], actor=actor, source=GroupSource.CLAIMS)
    return wanted != current


def _record_success(connection: IdpConnection, user: User, evidence: Evidence, *, created: bool) -> None:
    LoginRecord.objects.create(
        connection=connection, user=user, mfa_evidenced=evidence.mfa, amr=evidence.amr, acr=evidence.acr
    )
    record_event(
        Actor.of_connection(connection),
        SIGN_IN_ACTION,
        user,
        context={"outcome": "success", "reason": "jit_created" if created else "", "mfa": evidence.mfa},
    )
