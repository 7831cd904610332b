"""Querysets a hot path runs on every request, compiled to SQL once per shape instead of every time.

Django builds and compiles a queryset's SQL each time it runs. For the locked lookup of a SCIM create
(adoption candidates and waiting reports, one statement) that was about a third of the request's CPU
(py-spy, docs/BENCHMARKS.md). A CompiledQuery asks its builder for the queryset once per shape, with a
marker in place of each value, keeps the SQL and which parameter each marker became, and from then on
runs that SQL with the real values through the model's raw(), which makes the same model instances,
annotations included, as iterating the queryset would. The rule stays in the builder's ORM code.

A shape is what changes the SQL: which values are None (a lookup on None compiles to IS NULL) or empty
strings (a builder may leave those out) and the length of each list (an IN has one placeholder per
item). Values are str, int, None or lists of str; a marker that does not come out of the compiler as a
parameter unchanged is an error at the first run.
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)
Value = str | int | None | list[str]
_MARKER_BASE = -(2**62)  # integer markers: nothing real is near this


class CompiledQuery(Generic[M]):
    def __init__(self, build: Callable[..., "models.QuerySet[M]"]) -> None:
        self._build = build
        self._compiled: dict[Hashable, tuple[type[M], str, list[tuple[bool, Any]]]] = {}
        self._lock = threading.Lock()

    def __call__(self, **values: Value) -> list[M]:
        shape = tuple(sorted((name, _shape(value)) for name, value in values.items()))
        compiled = self._compiled.get(shape) or self._compile(shape, values)
        model, sql, slots = compiled
        params: list[Any] = []
        for is_value, slot in slots:
            if not is_value:
                params.append(slot)
                continue
            name, index = slot
            value = values[name]
            params.append(value[index] if isinstance(value, list) else value)
        return list(model._default_manager.raw(sql, params))

    def _compile(
        self, shape: Hashable, values: dict[str, Value]
    ) -> tuple[type[M], str, list[tuple[bool, Any]]]:
        markers: dict[Any, tuple[str, int]] = {}
        given: dict[str, Value] = {}
        for n, (name, value) in enumerate(sorted(values.items())):
            given[name] = _marker(name, value, n, markers)
        queryset = self._build(**given)
        sql, params = queryset.query.sql_with_params()
        slots = [(True, markers[p]) if _hashable(p) and p in markers else (False, p) for p in params]
        found = {slot for is_value, slot in slots if is_value}
        if found != set(markers.values()):
            missing = sorted(set(markers.values()) - found)
            raise ValueError(f"CompiledQuery: values changed on their way into the SQL: {missing}")
        compiled = (queryset.model, sql, slots)
        with self._lock:
            self._compiled[shape] = compiled
        return compiled


def _shape(value: Value) -> Hashable:
    if isinstance(value, list):
        return ("list", len(value))
    if value is None or value == "":
        return repr(value)  # a builder may leave out what is empty, as it does what is None
    return type(value).__name__


def _marker(name: str, value: Value, n: int, markers: dict[Any, tuple[str, int]]) -> Value:
    if value is None or value == "":
        return value
    if isinstance(value, list):
        items = [f"\x1fmarker:{name}:{i}\x1f" for i in range(len(value))]
        markers.update({item: (name, i) for i, item in enumerate(items)})
        return items
    marker: str | int = _MARKER_BASE - n if isinstance(value, int) else f"\x1fmarker:{name}\x1f"
    markers[marker] = (name, -1)
    return marker


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)
