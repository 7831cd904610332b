"""Per IdP connection: what switching its SCIM on would do, for the people of the clean-up file.

Each row stands for a person the IdP will send. The IdP first looks the person up among the accounts
this connection already holds (Okta and Entra filter by externalId or userName before they create);
failing that it POSTs, and our endpoint lands the create where `adoption.find_adoptable` would: on the
account with that userName or email (case-folded), a merged duplicate standing for the account it went
into, if `adoption_verdict` allows it. So a row is matched (by externalId, userName or email), created
(no account has either), refused (409: admin power, kept unmanaged, adoption off) or a conflict (409:
another connection's account, or two accounts). The accounts of no connection that no row lands on are
left unmanaged.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lms_identity.models import IdpConnection
from lms_identity.services.adoption import ADOPT, CLASH, adoption_verdict

from .accounts import Account, Accounts
from .files import AccountRow

SAMPLE = 50
MATCHED = "matched"
CREATED = "created"
REFUSED = "refused"
CONFLICT = "conflict"


@dataclass
class RowMatch:
    line: int
    person: str
    outcome: str  # MATCHED, CREATED, REFUSED or CONFLICT
    how: str  # externalId, userName, email; or the refusal's reason
    account: str = ""
    account_pk: str = ""


@dataclass
class Readiness:
    connection: str
    connection_name: str
    adopt_existing_accounts: bool
    matched: int = 0
    created: int = 0
    left_unmanaged: int = 0
    refused: int = 0
    conflicts: int = 0
    matched_by: dict[str, int] = field(default_factory=dict)
    refused_by: dict[str, int] = field(default_factory=dict)
    sample: list[RowMatch] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = (
            f"on enabling SCIM for {self.connection}: {self.matched} will be matched, "
            f"{self.created} created, {self.left_unmanaged} left unmanaged"
        )
        if self.refused or self.conflicts:
            text += f"; {self.refused} refused and {self.conflicts} in conflict (409 until cleaned up)"
        return text


def readiness_of(connection: IdpConnection, rows: list[AccountRow], accounts: Accounts) -> Readiness:
    """How this connection's creates would meet the accounts, one outcome per person of the file (a
    row repeating an earlier row's email or userName is the same person and is not counted again)."""
    found = Readiness(connection.slug, connection.name, connection.adopt_existing_accounts)
    matched_by: Counter[str] = Counter()
    refused_by: Counter[str] = Counter()
    matched_pks: set[str] = set()
    seen: set[str] = set()
    for row in rows:
        keys = {row.user_name_key, row.email_key} - {""}
        if keys & seen:
            continue
        seen |= keys
        match = match_row(row, connection, accounts)
        if match.outcome == MATCHED:
            matched_by[match.how] += 1
            matched_pks.add(match.account_pk)
        elif match.outcome == REFUSED:
            refused_by[match.how] += 1
        found.conflicts += match.outcome == CONFLICT
        found.created += match.outcome == CREATED
        if len(found.sample) < SAMPLE and match.outcome != CREATED:
            found.sample.append(match)
    found.matched, found.refused = sum(matched_by.values()), sum(refused_by.values())
    found.matched_by, found.refused_by = dict(matched_by), dict(refused_by)
    # The accounts of no connection this IdP will not take: refused, in conflict, or named by no row.
    found.left_unmanaged = sum(
        1
        for a in accounts.by_pk.values()
        if a.connection_id is None
        and not a.deleted
        and a.merged_into is None
        and str(a.pk) not in matched_pks
    )
    return found


def match_row(row: AccountRow, connection: IdpConnection, accounts: Accounts) -> RowMatch:
    """How this connection's IdP would meet the person of this row (see the module's docstring)."""
    person = row.email or row.user_name
    if row.external_id:
        linked = accounts.by_external_id.get((connection.pk, row.external_id))
        if linked is not None and not linked.deleted:
            return RowMatch(row.line, person, MATCHED, "externalId", linked.label, str(linked.pk))
    own = accounts.by_user_name.get(row.user_name_key)
    if own is not None and own.connection_id == connection.pk and not own.deleted:
        return RowMatch(row.line, person, MATCHED, "userName", own.label, str(own.pk))
    candidates = _landing(row, accounts)
    if not candidates:
        return RowMatch(row.line, person, CREATED, "")
    if len(candidates) > 1:
        return RowMatch(row.line, person, CONFLICT, "two accounts", candidates[0][0].label)
    target, via = candidates[0]
    verdict = adoption_verdict(
        target.standing, connection_id=connection.pk, adopt_switch=connection.adopt_existing_accounts
    )
    if verdict == ADOPT:
        return RowMatch(row.line, person, MATCHED, via, target.label, str(target.pk))
    if verdict == CLASH:
        return RowMatch(row.line, person, CONFLICT, "another connection's account", target.label)
    return RowMatch(row.line, person, REFUSED, verdict, target.label)


def _landing(row: AccountRow, accounts: Accounts) -> list[tuple[Account, str]]:
    """The accounts a POST of this row lands on, with the attribute that found each: userName or email,
    compared as the database does; a merged duplicate replaced by the account it went into."""
    found: dict[Any, tuple[Account, str]] = {}
    for account, via in (
        (accounts.by_user_name.get(row.user_name_key), "userName"),
        (accounts.by_email.get(row.email_key) if row.email_key else None, "email"),
    ):
        if account is None:
            continue
        if account.merged_into is not None and account.merged_into in accounts.by_pk:
            account, via = accounts.by_pk[account.merged_into], f"{via} of a merged duplicate"
        found.setdefault(account.pk, (account, via))
    return list(found.values())
