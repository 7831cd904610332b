"""List and search responses (RFC 7644 §3.4.2): filter, stable order by primary key, paging."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet

from ..attribute_selection import Selection
from ..errors import ScimError
from ..filters import Field, filter_to_q
from ..schemas import LIST_SCHEMA

DEFAULT_COUNT = 100
M = TypeVar("M", bound=Model)
MAX_START_INDEX = 1_000_000_000


def page_bounds(start_index: Any, count: Any) -> tuple[int, int]:
    """(startIndex, count): startIndex below 1 is 1, count is capped at SCIM_MAX_RESULTS (advertised)."""
    start = _integer("startIndex", start_index, 1)
    size = _integer("count", count, min(DEFAULT_COUNT, settings.SCIM_MAX_RESULTS))
    # Beyond MAX_START_INDEX nothing can be found; the clamp keeps the OFFSET inside what databases take.
    return min(max(start, 1), MAX_START_INDEX), min(max(size, 0), settings.SCIM_MAX_RESULTS)


def _integer(name: str, value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ScimError(400, f"{name} must be an integer", "invalidValue")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ScimError(400, f"{name} must be an integer", "invalidValue") from None


def page_of(queryset: QuerySet[M], offset: int, count: int) -> list[M]:
    """`count` rows of the ordered queryset from `offset`. Past the first page the ids are found first
    and the rows fetched by id: the skipped rows are then read from an index (user_live_page_idx), not the
    table, so a page deep in a million people costs tens of milliseconds rather than seconds."""
    if count <= 0:
        return []
    if offset == 0:
        return list(queryset[:count])
    ids = queryset.values("pk")[offset : offset + count]
    return list(queryset.filter(pk__in=ids))


def list_response(
    queryset: QuerySet[Any],
    *,
    params: Any,
    fields: dict[str, Field],
    selection: Selection,
    render: Callable[[list[Any]], list[dict[str, Any]]],
    unfiltered_total: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """One ListResponse page. `unfiltered_total` answers totalResults without a filter at constant cost
    (the queryset's count would read every row)."""
    filter_text = params.get("filter")
    if filter_text is not None:
        if not isinstance(filter_text, str):
            raise ScimError(400, "filter must be a string", "invalidFilter")
        queryset = queryset.filter(filter_to_q(filter_text, fields))
    # sortBy is ignored: sorting is not advertised (sort.supported is false) and the order stays by id.
    start, count = page_bounds(params.get("startIndex"), params.get("count"))
    queryset = queryset.order_by("pk")
    page = page_of(queryset, start - 1, count)
    if 0 < len(page) < count or (count and not page and start == 1):
        # A short page is the last one: the total follows without counting (the common
        # `filter=userName eq` lookup then costs one query).
        total = start - 1 + len(page)
    elif filter_text is None and unfiltered_total is not None:
        total = unfiltered_total()
    else:
        total = queryset.count()
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(page),
        "Resources": [selection.apply(d) for d in render(page)],
    }
