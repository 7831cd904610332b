"""What a rule, grant or override is about, and the keys grants use to name it and where it came from.

There are four kinds of target: a course, a learning path, a role template and a seat in a license pool.
This module is the one place that knows, for each kind, its stored `target_type`, the model and the
foreign-key field that hold it, and the key formats:

- a target key, "<type>:<id>": "course:12", "path:3", "role:5", "seat:7" (a seat in pool 7);
- an origin key, where a grant came from: "rule:<id>", "hr:<id>" (a cell of the HR matrix), "manual" (an
  admin's allow) or "license" (a seat assigned from its pool).

Every other module builds and reads these through the functions below, never by slicing strings.

Words: a *seat* is what a person holds (the target kind `seat`); the *pool* is the `LicensePool` it comes
from, kept in the `pool` field. The stored values ("seat" as the target type, "license" as the origin of
an assigned seat) are kept as they are: the API shows them and the audit trail has recorded them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from .errors import InvalidInput


class TargetType(models.TextChoices):
    COURSE = "course", "Course"
    PATH = "path", "Learning path"
    ROLE = "role", "Role template"
    SEAT = "seat", "Seat in a license pool"


class Origin(models.TextChoices):
    RULE = "rule", "Entitlement rule"
    HR = "hr", "HR mapping"
    MANUAL = "manual", "Manual override"
    POOL = "license", "License pool"


@dataclass(frozen=True)
class TargetKind:
    """One kind of target: its stored type, the foreign key that holds it, its model and its name field."""

    target_type: str
    field: str
    model_name: str
    name_field: str

    @property
    def model(self) -> Any:
        """The model class (looked up by name: the models module imports this one)."""
        return apps.get_model("courses", self.model_name)

    @property
    def id_field(self) -> str:
        return f"{self.field}_id"

    @property
    def noun(self) -> str:
        return TargetType(self.target_type).label.lower()


KINDS: dict[str, TargetKind] = {
    kind.target_type: kind
    for kind in (
        TargetKind(TargetType.COURSE, "course", "Course", "title"),
        TargetKind(TargetType.PATH, "path", "LearningPath", "title"),
        TargetKind(TargetType.ROLE, "role", "RoleTemplate", "name"),
        TargetKind(TargetType.SEAT, "pool", "LicensePool", "product"),
    )
}
# The foreign keys of rules, grants and overrides, one per kind (for select_related and forms).
FIELDS = tuple(kind.field for kind in KINDS.values())
# Their columns, in that order: a grant row carries one id here and None in the others.
ID_FIELDS = tuple(kind.id_field for kind in KINDS.values())
_POSITION = {kind.target_type: i for i, kind in enumerate(KINDS.values())}
_NONE_IDS = (None,) * len(KINDS)

_SEAT_PREFIX = f"{TargetType.SEAT.value}:"

MANUAL_ORIGIN_KEY = Origin.MANUAL.value
POOL_ORIGIN_KEY = Origin.POOL.value


def find_kind(target_type: str) -> TargetKind | None:
    return KINDS.get(target_type)


def get_kind(target_type: Any) -> TargetKind:
    """The kind of this stored type; InvalidInput naming `target_type` for anything else."""
    kind = KINDS.get(target_type) if isinstance(target_type, str) else None
    if kind is None:
        raise InvalidInput("target_type", f"unknown target type {str(target_type)[:32]!r}")
    return kind


def kind_of(target: models.Model) -> TargetKind:
    """The kind of a course, path, role template or license pool instance."""
    for kind in KINDS.values():
        if isinstance(target, kind.model):
            return kind
    raise InvalidInput("target", f"{type(target).__name__} is not something a rule can grant")


def check_target(target_type: str, target: Any) -> TargetKind:
    """Raise InvalidInput unless `target` is a saved instance of the kind `target_type` names."""
    kind = get_kind(target_type)
    if not isinstance(target, kind.model) or target.pk is None:
        raise InvalidInput("target", f"the target must be an existing {kind.noun}")
    return kind


def find_target(target_type: str, target_id: int) -> models.Model | None:
    """The course, path, role template or pool of this kind and id, or None."""
    return get_kind(target_type).model._default_manager.filter(pk=target_id).first()


def target_key(target_type: str, target_id: Any) -> str:
    return f"{target_type}:{target_id}"


def seat_key(pool_id: int) -> str:
    return target_key(TargetType.SEAT, pool_id)


def parse_target_key(key: str) -> tuple[str, int]:
    """("seat", 7) for "seat:7"."""
    target_type, raw_id = key.split(":", 1)
    return target_type, int(raw_id)


def target_id_of(key: str) -> int:
    return parse_target_key(key)[1]


def is_seat_key(key: str) -> bool:
    return key.startswith(_SEAT_PREFIX)


def target_ids(target_type: str, target_id: int | None) -> tuple[int | None, ...]:
    """The values of ID_FIELDS for a row about this target: its id in its kind's column, None elsewhere."""
    ids: list[int | None] = list(_NONE_IDS)
    ids[_POSITION[target_type]] = target_id
    return tuple(ids)


def set_target(row: models.Model, target_type: str, target: models.Model | None) -> None:
    """Point a rule, grant or override at `target`, clearing the fields of the other kinds."""
    for kind in KINDS.values():
        setattr(row, kind.field, target if kind.target_type == target_type else None)
    row.target_type = target_type  # type: ignore[attr-defined]


def target_of(row: models.Model) -> models.Model | None:
    """The course, path, role template or pool a rule, grant or override is about."""
    kind = find_kind(row.target_type)  # type: ignore[attr-defined]
    return getattr(row, kind.field) if kind is not None else None


def key_of(row: models.Model) -> str:
    """The target key of a rule, grant or override."""
    target_type = row.target_type  # type: ignore[attr-defined]
    kind = find_kind(target_type)
    return target_key(target_type, getattr(row, kind.id_field) if kind is not None else None)


def target_names(kinds: Iterable[TargetKind] = KINDS.values()) -> dict[str, str]:
    """Every target's key and the name people know it by, one query per kind."""
    names: dict[str, str] = {}
    for kind in kinds:
        rows = kind.model._default_manager.values_list("pk", kind.name_field)
        names.update({target_key(kind.target_type, pk): str(name) for pk, name in rows})
    return names


def rule_origin_key(rule_id: int) -> str:
    return f"{Origin.RULE}:{rule_id}"


def hr_origin_key(mapping_id: int) -> str:
    return f"{Origin.HR}:{mapping_id}"


def origin_of(origin_key: str) -> str:
    """ "rule" for "rule:4"; "manual" for "manual"."""
    return origin_key.split(":", 1)[0]


def rule_id_of(origin_key: str) -> int | None:
    """The rule a grant came from, or None for any other origin."""
    origin, _, raw_id = origin_key.partition(":")
    return int(raw_id) if origin == Origin.RULE else None
