"""License pools: seat counts that are never oversold, and utilization alerts at 75 % and 100 %."""

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count

from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..models import Grant, GrantState, LicensePool, TargetType

log = logging.getLogger(__name__)

ALERT_LEVELS = (100, 75)
POOL_FIELDS = ("product", "seat_count", "grace_days")


def seats_in_use(pool_ids: Iterable[int]) -> dict[int, int]:
    """Active seats per pool, in one query."""
    rows = (
        Grant.objects.filter(pool_id__in=list(pool_ids), target_type=TargetType.SEAT, state=GrantState.ACTIVE)
        .values_list("pool_id")
        .annotate(n=Count("id"))
        .values_list("pool_id", "n")
    )
    return dict(rows)


def alert_level(used: int, seat_count: int) -> int:
    for level in ALERT_LEVELS:
        if used * 100 >= level * seat_count:
            return level
    return 0


def create_pool(*, actor: Actor, product: str, seat_count: int, grace_days: int = 0) -> LicensePool:
    """Create a pool. Audited."""
    _check_fields(product, seat_count, grace_days)
    with transaction.atomic():
        if LicensePool.objects.filter(product__iexact=product).exists():
            raise InvalidInput("product", f"a license pool for {product!r} exists")
        pool = LicensePool.objects.create(product=product, seat_count=seat_count, grace_days=grace_days)
        record_event(
            actor, "license_pool.created", pool, changes={f: (None, getattr(pool, f)) for f in POOL_FIELDS}
        )
    return pool


def update_pool(pool: LicensePool, *, actor: Actor, changes: dict[str, Any]) -> list[str]:
    """Change a pool's product name, seat count or grace days. A seat count below the seats in use is
    refused (reclaim seats first). Locks the pool row, so no seat is assigned while the count is checked.
    Returns the fields changed; [] when nothing changed. Audited."""
    unknown = set(changes) - set(POOL_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be changed")
    with transaction.atomic():
        pool = LicensePool.objects.select_for_update().get(pk=pool.pk)
        merged = {f: changes.get(f, getattr(pool, f)) for f in POOL_FIELDS}
        _check_fields(merged["product"], merged["seat_count"], merged["grace_days"])
        if (
            "product" in changes
            and LicensePool.objects.filter(product__iexact=merged["product"]).exclude(pk=pool.pk).exists()
        ):
            raise InvalidInput("product", f"a license pool for {merged['product']!r} exists")
        used = seats_in_use([pool.pk]).get(pool.pk, 0)
        if merged["seat_count"] < used:
            raise InvalidInput("seat_count", f"{used} seats are in use; the seat count cannot go below that")
        diff = {f: (getattr(pool, f), v) for f, v in changes.items() if getattr(pool, f) != v}
        if not diff:
            return []
        for name, (_, value) in diff.items():
            setattr(pool, name, value)
        pool.save(update_fields=list(diff))
        record_event(actor, "license_pool.updated", pool, changes=diff)
        check_utilization([pool.pk], actor=actor)
    return list(diff)


def check_utilization(pool_ids: list[int], *, actor: Actor) -> list[tuple[LicensePool, int]]:
    """Raise each pool's 75 % and 100 % alert once as usage climbs (an audit event and a warning in the
    log), and re-arm it when usage falls below. Call inside the transaction that changed the seats.
    Returns the alerts raised."""
    used = seats_in_use(pool_ids)
    raised = []
    for pool in LicensePool.objects.filter(pk__in=pool_ids).order_by("pk"):
        level = alert_level(used.get(pool.pk, 0), pool.seat_count) if pool.seat_count else 100
        if level == pool.alert_level:
            continue
        LicensePool.objects.filter(pk=pool.pk).update(alert_level=level)
        if level > pool.alert_level:
            record_event(
                actor,
                "license_pool.utilization_alert",
                pool,
                context={"level": level, "seats_in_use": used.get(pool.pk, 0), "seat_count": pool.seat_count},
            )
            log.warning(
                "license pool %s at %s%% (%s of %s seats)",
                pool.product,
                level,
                used.get(pool.pk, 0),
                pool.seat_count,
            )
            raised.append((pool, level))
        pool.alert_level = level
    return raised


def _check_fields(product: Any, seat_count: Any, grace_days: Any) -> None:
    if not isinstance(product, str) or not product.strip() or len(product) > 255 or "\x00" in product:
        raise InvalidInput("product", "the product name is required (at most 255 characters)")
    if not isinstance(seat_count, int) or isinstance(seat_count, bool) or seat_count < 0:
        raise InvalidInput("seat_count", "the seat count must be a whole number, 0 or more")
    if not isinstance(grace_days, int) or isinstance(grace_days, bool) or grace_days < 0:
        raise InvalidInput("grace_days", "grace days must be a whole number, 0 or more")
