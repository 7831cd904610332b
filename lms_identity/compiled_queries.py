"""Querysets a hot path runs on every request, compiled to SQL once per shape instead of every time.

Django builds and compiles a queryset's SQL each time it runs. For the locked lookup of a SCIM create
(adoption candidates and waiting reports, one statement) that was about a third of the request's CPU
(py-spy, docs/BENCHMARKS.md). A CompiledQuery asks its builder for the queryset once per shape, with a
marker in place of each value, keeps the SQL and which parameter each marker became, and from then on
runs that SQL with the real values through the model's raw(), which makes the same model instances,
annotations included, as iterating the queryset would. The rule stays in the builder's ORM code.

A shape is what changes the SQL: which values are None (a lookup on None compiles to IS NULL) or empty
strings (a builder may leave those out) and the length of each list (an IN has one placeholder per
item). Values are str, int, UUID, None or lists of str; a marker that does not come out of the compiler as a
parameter unchanged is an error at the first run.
"""

import threading
import uuid
from collections.abc import Callable, Hashable
from typing import Any, Generic, NamedTuple, TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)
Value = str | int | uuid.UUID | None | list[str]
# Integer markers stay within a 32-bit column's range (Django drops an out-of-range lookup from the SQL);
# no constant of a builder is near them.
_INT_MARKER_BASE = 2**31 - 2**20
_UUID_MARKER_BASE = 2**62


class Slot(NamedTuple):
    """Where a value goes among the SQL's parameters: its name, its place in a list (-1: not a list),
    and whether the database takes it as hex (a UUID on a database without a uuid type)."""

    name: str
    item: int = -1
    hex: bool = False


class CompiledQuery(Generic[M]):
    def __init__(self, build: Callable[..., "models.QuerySet[M]"]) -> None:
        self._build = build
        self._compiled: dict[Hashable, tuple[type[M], str, list[Any]]] = {}
        self._locks = False  # whether its SQL locks rows (SELECT ... FOR UPDATE), known once compiled
        self._lock = threading.Lock()

    def __call__(self, **values: Value) -> list[M]:
        if self._locks and not transaction.get_connection().in_atomic_block:
            # Django refuses this when it compiles; a compiled lookup must too, or its lock would be
            # released as soon as the statement ends.
            raise transaction.TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        model, sql, params = self._bound(values)
        return list(model._default_manager.raw(sql, params))

    def sql(self, **values: Value) -> tuple[str, list[Any]]:
        """The SQL and parameters these values run, without running them: for a statement that takes the
        query as a condition (event_rows' `unless_found`)."""
        _, sql, params = self._bound(values)
        return sql, params

    def _bound(self, values: dict[str, Value]) -> tuple[type[M], str, list[Any]]:
        shape = tuple(sorted((name, _shape(value)) for name, value in values.items()))
        model, sql, slots = self._compiled.get(shape) or self._compile(shape, values)
        return model, sql, [_value(slot, values) if isinstance(slot, Slot) else slot for slot in slots]

    def _compile(self, shape: Hashable, values: dict[str, Value]) -> tuple[type[M], str, list[Any]]:
        markers: dict[Any, Slot] = {}
        given = {
            name: _marker(name, value, n, markers) for n, (name, value) in enumerate(sorted(values.items()))
        }
        queryset = self._build(**given)
        self._locks = queryset.query.select_for_update
        sql, params = queryset.query.sql_with_params()
        slots = [markers[p] if _hashable(p) and p in markers else p for p in params]
        found = {(slot.name, slot.item) for slot in slots if isinstance(slot, Slot)}
        missing = sorted({(slot.name, slot.item) for slot in markers.values()} - found)
        if missing:
            raise ValueError(f"CompiledQuery: values changed on their way into the SQL: {missing}")
        compiled = (queryset.model, sql, slots)
        with self._lock:
            self._compiled[shape] = compiled
        return compiled


def _value(slot: Slot, values: dict[str, Value]) -> Any:
    value = values[slot.name]
    if isinstance(value, list):
        return value[slot.item]
    return value.hex if slot.hex and isinstance(value, uuid.UUID) else value


def _shape(value: Value) -> Hashable:
    if isinstance(value, list):
        return ("list", len(value))
    if value is None or value == "":
        return repr(value)  # a builder may leave out what is empty, as it does what is None
    return type(value).__name__


def _marker(name: str, value: Value, n: int, markers: dict[Any, Slot]) -> Value:
    if value is None or value == "":
        return value
    if isinstance(value, list):
        items = [f"\x1fmarker:{name}:{i}\x1f" for i in range(len(value))]
        markers.update({item: Slot(name, i) for i, item in enumerate(items)})
        return items
    if isinstance(value, uuid.UUID):
        marker = uuid.UUID(int=_UUID_MARKER_BASE + n)
        markers[marker] = Slot(name)
        markers[marker.hex] = Slot(name, hex=True)  # SQLite stores a UUID as its hex
        return marker
    scalar: str | int = _INT_MARKER_BASE + n if isinstance(value, int) else f"\x1fmarker:{name}\x1f"
    markers[scalar] = Slot(name)
    return scalar


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | uuid.UUID) and not isinstance(value, bool)
