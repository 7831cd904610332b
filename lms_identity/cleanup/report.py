"""The dry-run report of a clean-up file against the existing accounts, before anything changes.

It finds, with set operations over one snapshot of the accounts (accounts.py), never a query per row:
- duplicates by case-folded email: two rows of the file, a row and an account, or an account whose
  userName is another's email;
- the same person under two emails: the same employee number, or the same given and family name with
  the same manager (unless their employee numbers differ);
- the accounts no IdP knows: of no connection, and named by no row;
and for each group of accounts that are one person, a merge plan (which account is kept), or why it is
blocked (an account with admin power, or two accounts an IdP owns). Per connection, readiness.py says
how that IdP's creates will match.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lms_identity.models import IdpConnection

from .accounts import Account, Accounts, load_accounts
from .files import AccountRow, RowError
from .readiness import Readiness, readiness_of

SAMPLE = 20
ADMIN_POWER_BLOCK = "an account in it has admin power: privileged accounts are never merged"
IDP_OWNED_BLOCK = "two of its accounts belong to IdP connections: merge them in the IdP"


@dataclass
class DuplicateGroup:
    evidence: list[str]
    lines: list[int]
    accounts: list[str]
    keep: str = ""
    merge: list[str] = field(default_factory=list)
    blocked: str = ""
    keep_pk: str = ""
    merge_pks: list[str] = field(default_factory=list)
    after_import: bool = False


@dataclass
class CleanupReport:
    rows: int
    invalid: list[RowError]
    to_create: int
    to_update: int
    idp_owned: int
    refused_admin_power: int
    groups: list[DuplicateGroup]
    unknown_accounts: int
    unknown_sample: list[str]
    readiness: list[Readiness]

    @property
    def blocking(self) -> bool:
        """Whether something stops the import and its merges from going through as planned."""
        return bool(self.invalid) or any(g.blocked for g in self.groups)


def build_report(
    rows: list[AccountRow],
    invalid: list[RowError],
    *,
    connections: list[IdpConnection],
    accounts: Accounts | None = None,
) -> CleanupReport:
    """The report of these rows against the accounts (loaded when not given), with readiness for each
    connection given. Reads only; a fixed number of queries."""
    accounts = accounts if accounts is not None else load_accounts()
    groups = _Groups()
    resolved = _resolve_rows(rows, accounts, groups)
    _link_case_duplicates(rows, resolved, accounts, groups)
    _link_same_person(rows, resolved, accounts, groups)
    counts = _row_counts(resolved, accounts)
    lines_of: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for row in rows:
        lines_of[_node(row, resolved)].append(row.line)
    keys = {row.line: row.email_key or row.user_name_key for row in rows}
    reached = {pk for pks in resolved.values() for pk in pks}
    reached |= {a.pk for r in rows for a in _cross_hits(r, accounts)}
    unknown = [
        a
        for a in accounts.by_pk.values()
        if a.connection_id is None and not a.deleted and a.merged_into is None and a.pk not in reached
    ]
    return CleanupReport(
        rows=len(rows) + len(invalid),
        invalid=invalid,
        groups=[_plan(g, lines_of, keys, accounts) for g in groups.finished()],
        unknown_accounts=len(unknown),
        unknown_sample=sorted(a.label for a in unknown)[:SAMPLE],
        readiness=[readiness_of(c, rows, accounts) for c in connections],
        **counts,
    )


class _Groups:
    """Union-find over nodes: ("a", pk) an existing account, ("r", line) a row that names none."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, Any], tuple[str, Any]] = {}
        self.evidence: dict[tuple[str, Any], set[str]] = defaultdict(set)

    def find(self, node: tuple[str, Any]) -> tuple[str, Any]:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, nodes: list[tuple[str, Any]], evidence: str) -> None:
        roots = {self.find(n) for n in nodes}
        if len(roots) < 2:
            return
        first, *rest = sorted(roots, key=str)
        for root in rest:
            self.parent[root] = first
            self.evidence[first] |= self.evidence.pop(root, set())
        self.evidence[first].add(evidence)

    def finished(self) -> list[tuple[set[str], list[tuple[str, Any]]]]:
        members: dict[tuple[str, Any], list[tuple[str, Any]]] = defaultdict(list)
        for node in list(self.parent):
            members[self.find(node)].append(node)
        return [
            (self.evidence[root], sorted(nodes, key=str))
            for root, nodes in sorted(members.items(), key=lambda item: str(item[0]))
            if len(nodes) > 1
        ]


def _hits(row: AccountRow, accounts: Accounts) -> list[Account]:
    """The accounts a row names as SCIM compares: its userName with userNames, its email with emails."""
    found = [accounts.by_user_name.get(row.user_name_key), accounts.by_email.get(row.email_key)]
    unique: dict[Any, Account] = {a.pk: a for a in found if a is not None}
    return list(unique.values())


def _cross_hits(row: AccountRow, accounts: Accounts) -> list[Account]:
    """The accounts whose userName is the row's email, or whose email is the row's userName."""
    found = [accounts.by_user_name.get(row.email_key), accounts.by_email.get(row.user_name_key)]
    return [a for a in found if a is not None]


def _resolve_rows(rows: list[AccountRow], accounts: Accounts, groups: _Groups) -> dict[int, list[Any]]:
    """For each row, the accounts it names; a row naming two is one person under two accounts."""
    resolved: dict[int, list[Any]] = {}
    for row in rows:
        # A merged duplicate stands for the account it went into, as it does for SCIM's creates.
        hits = list(dict.fromkeys(a.merged_into or a.pk for a in _hits(row, accounts)))
        resolved[row.line] = hits
        if len(hits) > 1:
            groups.union([("a", pk) for pk in hits], "one row names two accounts (userName and email)")
    return resolved


def _node(row: AccountRow, resolved: dict[int, list[Any]]) -> tuple[str, Any]:
    hits = resolved[row.line]
    return ("a", hits[0]) if hits else ("r", row.line)


def _link_case_duplicates(
    rows: list[AccountRow], resolved: dict[int, list[Any]], accounts: Accounts, groups: _Groups
) -> None:
    seen: dict[str, tuple[str, Any]] = {}
    for row in rows:
        node = _node(row, resolved)
        for key in sorted({row.email_key, row.user_name_key} - {""}):
            if key in seen:
                groups.union([seen[key], node], "the same email (ignoring case) twice in the file")
            else:
                seen[key] = node
        for account in _cross_hits(row, accounts):
            groups.union([node, ("a", account.pk)], "a row's email is another account's userName")
    for account in accounts.by_pk.values():
        other = accounts.by_email.get(account.user_name.lower())
        if other is not None and other.pk != account.pk and not (account.deleted or other.deleted):
            groups.union([("a", account.pk), ("a", other.pk)], "one account's userName is another's email")


def _link_same_person(
    rows: list[AccountRow], resolved: dict[int, list[Any]], accounts: Accounts, groups: _Groups
) -> None:
    """Same employee number; or same name and manager with no employee numbers that disagree."""
    by_number: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    by_name: dict[tuple[str, str, str], list[tuple[tuple[str, Any], str]]] = defaultdict(list)
    live = [a for a in accounts.by_pk.values() if not a.deleted and a.merged_into is None]
    for account in live:
        node = ("a", account.pk)
        if account.employee_number:
            by_number[account.employee_number].append(node)
        if account.given_name and account.family_name and account.manager_id:
            key = (account.given_name.lower(), account.family_name.lower(), str(account.manager_id))
            by_name[key].append((node, account.employee_number))
    for row in rows:
        node = _node(row, resolved)
        if row.employee_number:
            by_number[row.employee_number].append(node)
        manager = _manager_key(row.manager, accounts)
        if row.given_name and row.family_name and manager:
            key = (row.given_name.lower(), row.family_name.lower(), manager)
            by_name[key].append((node, row.employee_number))
    for nodes in by_number.values():
        groups.union(nodes, "the same employee number")
    for entries in by_name.values():
        numbers = {number for _, number in entries if number}
        if len(numbers) <= 1:
            groups.union([node for node, _ in entries], "the same name and manager")


def _manager_key(ref: str, accounts: Accounts) -> str:
    if not ref:
        return ""
    manager = accounts.by_user_name.get(ref.lower()) or accounts.by_email.get(ref.lower())
    return str(manager.pk) if manager is not None else "ref:" + ref.lower()


def _row_counts(resolved: dict[int, list[Any]], accounts: Accounts) -> dict[str, int]:
    counts = {"to_create": 0, "to_update": 0, "idp_owned": 0, "refused_admin_power": 0}
    for hits in resolved.values():
        if not hits:
            counts["to_create"] += 1
            continue
        named = [accounts.by_pk[pk] for pk in hits]
        if any(a.admin_power for a in named):
            counts["refused_admin_power"] += 1
        elif any(a.connection_id is not None for a in named):
            counts["idp_owned"] += 1
        elif len(named) == 1:
            counts["to_update"] += 1
    return counts


def _plan(
    found: tuple[set[str], list[tuple[str, Any]]],
    lines_of: dict[tuple[str, Any], list[int]],
    keys: dict[int, str],
    accounts: Accounts,
) -> DuplicateGroup:
    evidence, nodes = found
    members = [accounts.by_pk[pk] for kind, pk in nodes if kind == "a"]
    lines = sorted({line for node in nodes for line in lines_of.get(node, [])})
    group = DuplicateGroup(evidence=sorted(evidence), lines=lines, accounts=[a.label for a in members])
    if any(a.admin_power for a in members):
        group.blocked = ADMIN_POWER_BLOCK
        return group
    if sum(1 for a in members if a.connection_id is not None) > 1:
        group.blocked = IDP_OWNED_BLOCK
        return group
    if len(members) < 2:
        # Rows of people not in the LMS yet: the import creates an account per email (rows repeating an
        # email land on one), and those accounts are merged after it.
        emails = {keys.get(line) for kind, line in nodes if kind == "r"}
        group.after_import = len(emails | {a.email.lower() for a in members}) > 1
        return group
    keeper = min(members, key=_keeping_order)
    group.keep, group.keep_pk = keeper.label, str(keeper.pk)
    others = [a for a in members if a.pk != keeper.pk]
    group.merge, group.merge_pks = [a.label for a in others], [str(a.pk) for a in others]
    return group


def _keeping_order(account: Account) -> tuple[Any, ...]:
    """Which account of a group survives: the one an IdP owns, then an active one, then the one used
    last, then the oldest."""
    last = account.last_login.timestamp() if account.last_login else 0.0
    return (account.connection_id is None, not account.active, -last, account.created_at)
