"""Every walk of people by kind: the five deprovisioning sweeps and the two reconcile walks."""

from provisioning.models import JobKind

from .base import Sweep
from .disabled_connection import DisabledConnectionSweep
from .inactive_access import InactiveAccessSweep
from .orphaned_accounts import OrphanedAccountsSweep
from .reconcile_everyone import RecomputeRuleJob, ReconcileEveryoneJob
from .retention_purge import RetentionPurgeSweep
from .unused_seats import UnusedSeatsSweep

SWEEPS: dict[str, Sweep] = {
    sweep.kind: sweep
    for sweep in (
        InactiveAccessSweep(),
        OrphanedAccountsSweep(),
        DisabledConnectionSweep(),
        RetentionPurgeSweep(),
        UnusedSeatsSweep(),
        ReconcileEveryoneJob(),
        RecomputeRuleJob(),
    )
}

# Every walk an admin may start by hand (the Sweeps page, the API, run_sweep); recomputing one rule's
# people starts from the rule instead.
STARTABLE_KINDS = [kind for kind in SWEEPS if kind != JobKind.RECOMPUTE_RULE]


def get_sweep(kind: str) -> Sweep:
    try:
        return SWEEPS[kind]
    except KeyError:
        raise ValueError(f"no sweep named {kind!r}; choose one of {', '.join(sorted(SWEEPS))}") from None
