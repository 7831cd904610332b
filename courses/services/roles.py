"""Role templates and the HR mapping matrix (department or org unit to role)."""

from typing import Any

from django.db import transaction

from lms_identity.models import User
from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..models import Capability, HrAttribute, HrRoleMapping, RoleTemplate
from ..reconcile import reconcile_people


def check_capabilities(capabilities: Any) -> list[str]:
    if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
        raise InvalidInput("capabilities", "capabilities must be a list of names")
    unknown = [c for c in capabilities if c not in Capability.values]
    if unknown:
        raise InvalidInput(
            "capabilities", f"unknown capability {unknown[0][:64]!r}: use {', '.join(Capability.values)}"
        )
    return sorted(set(capabilities))


def save_role(role: RoleTemplate, *, actor: Actor) -> RoleTemplate:
    """Save a role template's name and curated capabilities. Audited."""
    role.capabilities = check_capabilities(role.capabilities)
    check_explicit_only(role)
    with transaction.atomic():
        created = role.pk is None
        role.save()
        record_event(
            actor,
            "role.created" if created else "role.updated",
            role,
            context={"capabilities": role.capabilities},
        )
    return role


def add_hr_mapping(
    *, actor: Actor, attribute: str, value: str, role: RoleTemplate
) -> tuple[HrRoleMapping, dict[str, int]]:
    """Map a department, organization or division to a role, then reconcile the people it covers. Roles
    that need an explicit rule (L&D admin) are refused: HR data alone never makes anyone an L&D admin."""
    check_hr_mapping(attribute, value, role)
    with transaction.atomic():
        mapping, created = HrRoleMapping.objects.get_or_create(attribute=attribute, value=value, role=role)
        if created:
            record_event(
                actor,
                "hr_mapping.created",
                mapping,
                context={"attribute": attribute, "value": value, "role": role.slug},
            )
    return mapping, _reconcile_covered(mapping, actor)


def remove_hr_mapping(mapping: HrRoleMapping, *, actor: Actor) -> dict[str, int]:
    """Remove a cell of the matrix; the people it covered lose the role it granted. Audited."""
    with transaction.atomic():
        record_event(
            actor,
            "hr_mapping.deleted",
            mapping,
            context={"attribute": mapping.attribute, "value": mapping.value},
        )
        HrRoleMapping.objects.filter(pk=mapping.pk).delete()
    return _reconcile_covered(mapping, actor)


def check_explicit_only(role: RoleTemplate) -> None:
    """A role that needs an explicit rule cannot keep cells of the HR matrix that grant it."""
    if role.requires_explicit_rule and role.pk and HrRoleMapping.objects.filter(role=role).exists():
        raise InvalidInput(
            "requires_explicit_rule", f"the HR matrix grants {role}: remove those mappings first"
        )


def check_hr_mapping(attribute: str, value: Any, role: RoleTemplate | None) -> None:
    if attribute not in HrAttribute.values:
        raise InvalidInput(
            "attribute",
            f"unknown attribute {str(attribute)[:64]!r}: use department, organization or division",
        )
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise InvalidInput("value", "the value is required (at most 255 characters)")
    if role is None:
        raise InvalidInput("role", "choose a role")
    if role.requires_explicit_rule:
        raise InvalidInput(
            "role", f"{role} is never granted from HR data alone: create an entitlement rule for it instead"
        )


def _reconcile_covered(mapping: HrRoleMapping, actor: Actor) -> dict[str, int]:
    people = User.objects.filter(**{f"{mapping.attribute}__iexact": mapping.value}).values_list(
        "pk", flat=True
    )
    return reconcile_people(people, actor=actor)
