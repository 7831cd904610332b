"""Alerts for license pools filling up: one at 75 % and one at 100 % of a pool's seats held. Each opens an
Alert (the admin banner, the optional webhook) and resolves itself when usage falls below its level."""

from courses.models import LicensePool
from courses.services.pools import seats_in_use
from provisioning.models import Alert

from .alerts import raise_alert, resolve_alert

LEVELS = (75, 100)


def pool_alert_key(pool: LicensePool, level: int) -> str:
    return f"license_pool.{pool.pk}.{level}"


def sync_pool_alerts() -> dict[str, int]:
    """Open the alert of each level a pool has reached and resolve those it has fallen below. Idempotent:
    an alert already open is left as it is (no new occurrence, no second webhook). Two queries plus one
    per alert opened or resolved."""
    pools = list(LicensePool.objects.order_by("pk"))
    used = seats_in_use([p.pk for p in pools])
    open_keys = set(
        Alert.objects.filter(resolved_at__isnull=True, key__startswith="license_pool.").values_list(
            "key", flat=True
        )
    )
    opened = resolved = 0
    for pool in pools:
        held = used.get(pool.pk, 0)
        share = 100 * held / pool.seat_count if pool.seat_count else (100 if held else 0)
        for level in LEVELS:
            key = pool_alert_key(pool, level)
            if share >= level and key not in open_keys:
                raise_alert(key, _message(pool, held, level))
                opened += 1
            elif share < level and key in open_keys:
                resolved += resolve_alert(key)
    return {"pool_alerts_opened": opened, "pool_alerts_resolved": resolved}


def _message(pool: LicensePool, held: int, level: int) -> str:
    if level >= 100:
        return (
            f"License pool {pool.product} is full: {held} of {pool.seat_count} seats held. "
            "New people wait for a seat."
        )
    return f"License pool {pool.product} is at least {level} % used: {held} of {pool.seat_count} seats held."
