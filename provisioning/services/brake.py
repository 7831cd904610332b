"""The safety brake of the sweeps: a run that would act on more than a share of a connection's people
changes nothing and stops, until someone confirms that share for one run.

The share comes from the sweep's settings (`brake_share`); a run may carry `confirm_share` in its params
(`run_sweep KIND --confirm-share S`, or the admin API's `confirm_share`), which lets that one run act on up
to that share without raising the setting for every later run. A confirmed run still stops when it would
act on more than the confirmed share."""

import math
from typing import Any

from django.db.models import Count

from lms_identity.models import IdpConnection, User
from lms_identity.services.people_counts import live_people
from provisioning.models import SweepSettings

Tripped = list[dict[str, Any]]


def effective_share(config: SweepSettings, params: dict[str, Any]) -> float:
    """The share a run may act on: the setting, or the run's confirmed share when that is higher."""
    confirmed = params.get("confirm_share")
    return max(config.brake_share, float(confirmed)) if confirmed is not None else config.brake_share


def check_brake(candidates: Any, config: SweepSettings, *, share: float | None = None) -> Tripped:
    """The connections a run would act on more than `share` (by default the setting's `brake_share`)
    of: [{connection, acting, people}]."""
    share = config.brake_share if share is None else share
    if share >= 1:
        return []
    acting = dict(candidates.order_by().values_list("connection_id").annotate(n=Count("pk")))
    relevant = [c for c, n in acting.items() if n >= config.brake_min_people]
    if not relevant:
        return []
    people = {
        connection_id: (
            live_people(connection_id)
            if connection_id is not None
            else User.objects.not_deleted().filter(connection__isnull=True).count()
        )
        for connection_id in relevant
    }
    counted = [
        {"connection": connection_id, "acting": acting[connection_id], "people": people[connection_id]}
        for connection_id in relevant
    ]
    return over_share(counted, share)


def over_share(tripped: Tripped, share: float) -> Tripped:
    """Of what check_brake found, the connections a run would act on more than `share` of (a higher
    share than the one checked lets some through). A share of 1 or more brakes nothing."""
    if share >= 1:
        return []
    return [t for t in tripped if t["acting"] > share * max(t["people"], 1)]


def share_needed(tripped: Tripped) -> float:
    """The smallest share, rounded up to a hundredth, that would let a run acting on these through."""
    return min(1.0, max(math.ceil(100 * t["acting"] / max(t["people"], 1)) / 100 for t in tripped))


def brake_message(kind: str, label: str, tripped: Tripped) -> str:
    """What the braked run's error and alert say: who, how many, and how to confirm."""
    names = dict(
        IdpConnection.objects.filter(pk__in=[t["connection"] for t in tripped]).values_list("pk", "slug")
    )
    described = ", ".join(
        f"{names.get(t['connection'], 'no connection')}: {t['acting']} of {t['people']}" for t in tripped
    )
    return (
        f"Safety brake: {label} would act on too many people ({described}). Nothing was changed. Check the "
        f"IdP and run a dry run; if it is right, confirm with `run_sweep {kind} --confirm-share "
        f"{share_needed(tripped)}` (or the admin API's confirm_share), or raise the brake share."
    )
