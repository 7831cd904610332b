"""The existing accounts as the clean-up report reads them: every account in a fixed number of queries
(the rows, who has admin power, the marks), whatever their number, indexed by case-folded userName and
email the way the database's unique indexes compare them (Lower())."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lms_identity.models import AccountMark, User
from lms_identity.services.adoption import Standing, list_admin_power_holders

FIELDS = (
    "pk",
    "user_name",
    "email",
    "employee_number",
    "given_name",
    "family_name",
    "manager_id",
    "connection_id",
    "external_id",
    "source",
    "deleted_at",
    "is_active",
    "last_login",
    "created_at",
)


@dataclass
class Account:
    pk: Any
    user_name: str
    email: str
    employee_number: str
    given_name: str
    family_name: str
    manager_id: Any
    connection_id: int | None
    external_id: str
    source: str
    deleted: bool
    active: bool
    last_login: datetime | None
    created_at: datetime
    admin_power: bool = False
    mark: str = ""
    mark_connection_id: int | None = None
    merged_into: Any = None

    @property
    def label(self) -> str:
        return f"{self.user_name} <{self.email}>" if self.email else self.user_name

    @property
    def standing(self) -> Standing:
        return Standing(
            connection_id=self.connection_id,
            source=self.source,
            deleted=self.deleted,
            admin_power=self.admin_power,
            mark=self.mark,
            mark_connection_id=self.mark_connection_id,
        )


@dataclass
class Accounts:
    by_pk: dict[Any, Account] = field(default_factory=dict)
    by_user_name: dict[str, Account] = field(default_factory=dict)
    by_email: dict[str, Account] = field(default_factory=dict)
    by_external_id: dict[tuple[int, str], Account] = field(default_factory=dict)


def load_accounts() -> Accounts:
    """Every account (soft-deleted ones too: a SCIM create can land on them), with its admin power and
    its clean-up mark. Four queries."""
    found = Accounts()
    for values in User.objects.order_by().values_list(*FIELDS).iterator(chunk_size=5000):
        row = dict(zip(FIELDS, values, strict=True))
        deleted = row.pop("deleted_at") is not None
        active = row.pop("is_active")
        account = Account(deleted=deleted, active=active, **row)
        found.by_pk[account.pk] = account
        found.by_user_name[account.user_name.lower()] = account
        if account.email:
            found.by_email[account.email.lower()] = account
        if account.external_id and account.connection_id is not None:
            found.by_external_id[(account.connection_id, account.external_id)] = account
    for pk in list_admin_power_holders():
        if pk in found.by_pk:
            found.by_pk[pk].admin_power = True
    marks = AccountMark.objects.values_list("user_id", "kind", "connection_id", "merged_into_id")
    for user_id, kind, connection_id, merged_into in marks:
        if user_id in found.by_pk:
            account = found.by_pk[user_id]
            account.mark, account.mark_connection_id, account.merged_into = kind, connection_id, merged_into
    return found
