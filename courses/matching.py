"""Matching: which people an entitlement rule selects.

A rule is compiled once per run into plain Python values, so matching a person costs a few set and
string operations and no query. The same selector is also expressed as a queryset filter
(`matching_user_ids`) for previews and for finding the people a rule change affects.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from lms_identity.models import Group, Membership, User

from .errors import InvalidInput
from .models import EntitlementRule, RemovalPolicy
from .targets import rule_origin_key

# Attributes a condition may name; custom attributes are named "custom_attributes.<key>".
ATTRIBUTES = ("department", "title", "division", "organization", "cost_center")
CUSTOM_PREFIX = "custom_attributes."
MAX_VALUES = 100
# What the reconciler reads of each person.
PERSON_FIELDS = ("id", "is_active", "deleted_at", "hire_date", "custom_attributes", *ATTRIBUTES)


@dataclass(frozen=True)
class CompiledRule:
    id: int
    enabled: bool
    target_type: str
    target_key: str
    origin_key: str
    removal_policy: str
    group_ids: frozenset[uuid.UUID]
    conditions: tuple[tuple[str, frozenset[str]], ...]
    hired_since: date | None

    def matches(self, person: dict[str, Any], group_ids: set[uuid.UUID]) -> bool:
        if self.group_ids and self.group_ids.isdisjoint(group_ids):
            return False
        for attribute, values in self.conditions:
            if _attribute_value(person, attribute).casefold() not in values:
                return False
        if self.hired_since is not None:
            hired = person.get("hire_date")
            if hired is None or hired < self.hired_since:
                return False
        return True


def _attribute_value(person: dict[str, Any], attribute: str) -> str:
    if attribute.startswith(CUSTOM_PREFIX):
        custom = person.get("custom_attributes") or {}
        value = custom.get(attribute[len(CUSTOM_PREFIX) :]) if isinstance(custom, dict) else None
        return "" if value is None else str(value)
    return str(person.get(attribute) or "")


def compile_rule(rule: EntitlementRule, group_ids: Iterable[uuid.UUID], today: date) -> CompiledRule:
    return CompiledRule(
        id=rule.pk,
        enabled=rule.enabled,
        target_type=rule.target_type,
        target_key=rule.target_key,
        origin_key=rule_origin_key(rule.pk),
        removal_policy=rule.removal_policy,
        group_ids=frozenset(group_ids),
        conditions=tuple(
            (c["attribute"], frozenset(str(v).casefold() for v in c["values"])) for c in rule.conditions
        ),
        hired_since=(today - timedelta(days=rule.hire_within_days))
        if rule.hire_within_days is not None
        else None,
    )


def load_rules() -> dict[int, CompiledRule]:
    """Every rule (enabled or not: a disabled rule's policy still decides what its grants become),
    compiled, in two queries."""
    today = timezone.localdate()
    groups: dict[int, list[uuid.UUID]] = {}
    through = EntitlementRule.groups.through.objects.values_list("entitlementrule_id", "group_id")
    for rule_id, group_id in through:
        groups.setdefault(rule_id, []).append(group_id)
    return {
        rule.pk: compile_rule(rule, groups.get(rule.pk, ()), today) for rule in EntitlementRule.objects.all()
    }


def check_selector(
    *, group_ids: Iterable[Any], conditions: Any, hire_within_days: int | None
) -> tuple[list[uuid.UUID], list[dict[str, Any]]]:
    """Validate a selector; return (group ids, normalised conditions). Raises InvalidInput naming the part
    at fault: an unknown group, an unknown attribute, a malformed condition, or nothing to select on."""
    ids: list[uuid.UUID] = []
    for raw in group_ids:
        try:
            ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(getattr(raw, "pk", raw))))
        except ValueError:
            raise InvalidInput("groups", f"{str(raw)[:64]!r} is not a group id") from None
    known = set(Group.objects.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise InvalidInput("groups", f"unknown group {unknown[0]}")
    normalised = _check_conditions(conditions)
    if hire_within_days is not None and (not isinstance(hire_within_days, int) or hire_within_days < 0):
        raise InvalidInput("hire_within_days", "hire within days must be a whole number of days, 0 or more")
    if not ids and not normalised and hire_within_days is None:
        raise InvalidInput(
            "groups", "the selector is empty: choose at least one group, attribute condition or hire window"
        )
    return ids, normalised


def _check_conditions(conditions: Any) -> list[dict[str, Any]]:
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise InvalidInput("conditions", 'conditions must be a list of {"attribute": ..., "values": [...]}')
    normalised = []
    for condition in conditions:
        if not isinstance(condition, dict) or set(condition) != {"attribute", "values"}:
            raise InvalidInput(
                "conditions", 'each condition must be {"attribute": ..., "values": [...]} and nothing else'
            )
        attribute, values = condition["attribute"], condition["values"]
        if (
            not isinstance(attribute, str)
            or "\x00" in attribute
            or not (
                attribute in ATTRIBUTES
                or (
                    attribute.startswith(CUSTOM_PREFIX)
                    and len(attribute) > len(CUSTOM_PREFIX)
                    and len(attribute) < 200
                )
            )
        ):
            allowed = ", ".join(ATTRIBUTES)
            raise InvalidInput(
                "conditions",
                f"unknown attribute {str(attribute)[:64]!r}: use one of {allowed} "
                "or custom_attributes.<name>",
            )
        if isinstance(values, str | int):
            values = [values]
        if (
            not isinstance(values, list)
            or not values
            or len(values) > MAX_VALUES
            or not all(
                isinstance(v, str | int) and not isinstance(v, bool) and len(str(v)) <= 255 for v in values
            )
        ):
            raise InvalidInput(
                "conditions", f"{attribute} needs a list of 1 to {MAX_VALUES} values (strings of at most 255)"
            )
        if any("\x00" in str(v) for v in values):
            raise InvalidInput("conditions", f"a value of {attribute} contains a NUL character")
        normalised.append({"attribute": attribute, "values": [str(v) for v in values]})
    return normalised


def check_policy(policy: str) -> None:
    if policy not in RemovalPolicy.values:
        raise InvalidInput("removal_policy", "the removal policy must be keep, suspend or revoke")


def selector_q(
    group_ids: Iterable[uuid.UUID], conditions: list[dict[str, Any]], hire_within_days: int | None
) -> Q:
    """The people a selector matches, as a filter on users (active or not)."""
    q = Q()
    group_ids = list(group_ids)
    if group_ids:
        q &= Q(pk__in=Membership.objects.filter(group_id__in=group_ids).values("user_id"))
    for condition in conditions:
        attribute = condition["attribute"]
        lookup = attribute.replace(".", "__", 1) if attribute.startswith(CUSTOM_PREFIX) else attribute
        any_value = Q()
        for value in condition["values"]:
            any_value |= Q(**{f"{lookup}__iexact": value})
        q &= any_value
    if hire_within_days is not None:
        q &= Q(hire_date__gte=timezone.localdate() - timedelta(days=hire_within_days))
    return q


def matching_user_ids(rule: EntitlementRule, group_ids: Iterable[uuid.UUID] | None = None) -> set[uuid.UUID]:
    """Ids of the active people the rule selects (whether or not it is enabled)."""
    if group_ids is None:
        group_ids = rule.groups.values_list("pk", flat=True) if rule.pk else []
    q = selector_q(group_ids, rule.conditions or [], rule.hire_within_days)
    return set(User.objects.active().filter(q).values_list("pk", flat=True))
