"""Entitlement rules: validated, previewed, saved, and applied to everyone they touch."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from lms_identity.models import User
from lms_identity.services import outbox
from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..matching import check_policy, check_selector, selector_q
from ..models import EntitlementRule, Grant, GrantState, LicensePool, RemovalPolicy, TargetType
from ..reconcile import list_people_affected_by_rule, reconcile_people
from ..targets import check_target, get_kind, rule_origin_key, set_target
from .pools import seats_in_use

RULE_FIELDS = ("name", "enabled", "conditions", "hire_within_days", "removal_policy", "target_type", "target")
PREVIEW_SAMPLE = 20
# A rule change touching more people than this is applied by a worker rather than in the request.
SYNC_LIMIT = 2000
RULE_CHANGED = "rule.changed"


def build_rule(
    data: dict[str, Any], rule: EntitlementRule | None = None
) -> tuple[EntitlementRule, list[uuid.UUID]]:
    """An unsaved rule (a copy of `rule` with `data` applied) and its group ids, validated. Raises
    InvalidInput naming the field at fault. Nothing is written."""
    unknown = set(data) - {*RULE_FIELDS, "groups"}
    if unknown:
        raise InvalidInput(sorted(unknown)[0], f"{sorted(unknown)[0]} is not a rule field")
    draft = EntitlementRule() if rule is None else EntitlementRule.objects.get(pk=rule.pk)
    name = data.get("name", draft.name)
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidInput("name", "the rule needs a name (at most 255 characters)")
    draft.name = name
    enabled = data.get("enabled", draft.enabled if rule else True)
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled", "enabled must be true or false")
    draft.enabled = enabled
    draft.removal_policy = data.get("removal_policy", draft.removal_policy)
    check_policy(draft.removal_policy)
    if "target_type" in data or "target" in data or rule is None:
        target_type = data.get("target_type", draft.target_type)
        target = data.get("target", draft.target if rule else None)
        if target is None:
            raise InvalidInput("target_type", f"choose the {get_kind(target_type).noun} the rule grants")
        check_target(target_type, target)
        set_target(draft, target_type, target)
    current_groups = list(rule.groups.values_list("pk", flat=True)) if rule else []
    group_ids, conditions = check_selector(
        group_ids=data.get("groups", current_groups),
        conditions=data.get("conditions", draft.conditions),
        hire_within_days=data.get("hire_within_days", draft.hire_within_days),
    )
    draft.conditions = conditions
    draft.hire_within_days = data.get("hire_within_days", draft.hire_within_days)
    return draft, group_ids


def create_rule(data: dict[str, Any], *, actor: Actor) -> tuple[EntitlementRule, dict[str, int]]:
    """Validate and save a new rule, then reconcile everyone it selects, so people already in its groups
    get its grants (at once for up to SYNC_LIMIT people, else by a worker: {"deferred": n}). Nothing is
    saved when validation fails. Audited. Returns (rule, summary)."""
    draft, group_ids = build_rule(data)
    with transaction.atomic():
        draft.save()
        draft.groups.set(group_ids)  # type: ignore[arg-type]  # primary keys are accepted
        record_event(actor, "rule.created", draft, changes=_describe(draft, group_ids, None))
    return draft, _reconcile_affected(draft, set(), actor)


def update_rule(
    rule: EntitlementRule, data: dict[str, Any], *, actor: Actor
) -> tuple[list[str], dict[str, int]]:
    """Validate and apply changes to a rule, then reconcile the people it selected before or selects now
    (so people who stop matching get its removal policy). Locks the rule. Returns (fields changed,
    summary); ([], {}) when nothing changed. Audited."""
    with transaction.atomic():
        rule = EntitlementRule.objects.select_for_update().get(pk=rule.pk)
        before_groups = sorted(rule.groups.values_list("pk", flat=True))
        before = _describe(rule, before_groups, None)
        draft, group_ids = build_rule(data, rule)
        after = _describe(draft, sorted(group_ids), None)
        diff = {k: (before[k][1], after[k][1]) for k in after if before[k] != after[k]}
        if not diff:
            return [], {}
        affected_before = list_people_affected_by_rule(rule)
        draft.save()
        draft.groups.set(group_ids)  # type: ignore[arg-type]  # primary keys are accepted
        record_event(actor, "rule.updated", draft, changes=diff)
    return list(diff), _reconcile_affected(draft, affected_before, actor)


def delete_rule(rule: EntitlementRule, *, actor: Actor) -> dict[str, int]:
    """Delete a rule after applying its removal policy to everyone holding its grants (the rule is
    disabled first and those people reconciled). The grants stay as history. Audited."""
    if rule.enabled:
        update_rule(rule, {"enabled": False}, actor=actor)
    summary = reconcile_people(list_people_affected_by_rule(rule), actor=actor)
    with transaction.atomic():
        rule = EntitlementRule.objects.select_for_update().get(pk=rule.pk)
        record_event(actor, "rule.deleted", rule, context={"name": rule.name, "target": rule.target_key})
        rule.delete()
    return summary


def preview_rule(rule: EntitlementRule, group_ids: Iterable[uuid.UUID]) -> dict[str, Any]:
    """What saving (and enabling) this rule would do, without writing anything: how many active people it
    matches, who would gain the target, and who would lose what under the removal policy."""
    group_ids = list(group_ids)
    q = selector_q(group_ids, rule.conditions or [], rule.hire_within_days)
    matched = set(User.objects.active().filter(q).values_list("pk", flat=True))
    key = rule.target_key
    holders = set(Grant.objects.filter(key=key, state=GrantState.ACTIVE).values_list("user_id", flat=True))
    gain = matched - holders
    seats_free = None
    if rule.target_type == TargetType.SEAT and rule.pool_id is not None:
        pool = LicensePool.objects.get(pk=rule.pool_id)
        seats_free = max(0, pool.seat_count - seats_in_use([pool.pk]).get(pool.pk, 0))
    losing: set[uuid.UUID] = set()
    if rule.pk:
        from_rule = set(
            Grant.objects.filter(origin_key=rule_origin_key(rule.pk), state=GrantState.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
        other = set(
            Grant.objects.filter(key=key, state=GrantState.ACTIVE, user_id__in=from_rule)
            .exclude(origin_key=rule_origin_key(rule.pk))
            .values_list("user_id", flat=True)
        )
        losing = from_rule - matched - other
        if rule.removal_policy == RemovalPolicy.KEEP:
            losing = set()
    return {
        "target": str(rule.target),
        "target_type": rule.target_type,
        "matches": len(matched),
        "gain": {"count": len(gain), "people": _names(gain)},
        "lose": {"count": len(losing), "becomes": _loss_state(rule), "people": _names(losing)},
        "seats_free": seats_free,
    }


def _loss_state(rule: EntitlementRule) -> str:
    return {RemovalPolicy.KEEP: "kept", RemovalPolicy.SUSPEND: "suspended", RemovalPolicy.REVOKE: "revoked"}[
        RemovalPolicy(rule.removal_policy)
    ]


def _names(ids: set[uuid.UUID]) -> list[str]:
    sample = sorted(ids)[:PREVIEW_SAMPLE]
    return sorted(str(u) for u in User.objects.filter(pk__in=sample))


def _describe(rule: EntitlementRule, group_ids: list[uuid.UUID], _: Any) -> dict[str, tuple[Any, Any]]:
    return {
        "name": (None, rule.name),
        "enabled": (None, rule.enabled),
        "groups": (None, [str(g) for g in sorted(group_ids)]),
        "conditions": (None, rule.conditions),
        "hire_within_days": (None, rule.hire_within_days),
        "removal_policy": (None, rule.removal_policy),
        "target": (None, rule.target_key),
    }


def _reconcile_affected(rule: EntitlementRule, before: set[uuid.UUID], actor: Actor) -> dict[str, int]:
    """Reconcile the people a rule change touches: now when they are few, else on a worker (the outbox
    event `rule.changed` starts a resumable walk over list_people_affected_by_rule)."""
    people = before | list_people_affected_by_rule(rule)
    if len(people) <= SYNC_LIMIT:
        return reconcile_people(people, actor=actor)
    with transaction.atomic():
        outbox.emit(RULE_CHANGED, {"rule_id": rule.pk})
    return {"deferred": len(people)}
