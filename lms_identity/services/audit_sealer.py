"""Who seals the audit events a transaction wrote, once it commits: a worker, or the committing thread.

Why a worker rather than the web process: a seal is one more transaction (lock the chain head, read the
new events, hash them, write their hashes), and its Python work competes with the requests of the process
that runs it. A background thread in each web process kept it out of the request's own time but not out
of the other requests' (measured in docs/EVIDENCE.md). So on PostgreSQL a commit only nudges a worker
(settings.AUDIT_SEAL_NOTIFY, the provisioning app's coalescing nudge: a publish a second per process at
most), and the `provisioning.seal_audit` task seals every event committed since the last seal in one
batch, taking turns with other sealers on the chain-head lock. A lost nudge costs nothing: the per-minute
`provisioning.checkpoint_audit` seals whatever is left, and with the broker down the nudging process
seals itself (provisioning/nudges.py).

The committing thread seals right after its commit instead on SQLite (one writer at a time, and its shared
in-memory test databases refuse another process's writes), with eager Celery (tasks run in the caller
anyway), and when AUDIT_SEAL_NOTIFY is empty (the test suite, which reads sealed events at once).
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from .audit_chain import seal_pending


@cache
def _nudge(path: str) -> Callable[[], None]:
    return import_string(path)  # type: ignore[no-any-return]


def _ask_a_worker() -> None:
    _nudge(settings.AUDIT_SEAL_NOTIFY)()  # resolved here, in the robust callback: a bad path is logged


def seal_after_commit() -> None:
    """Have the events of the current transaction sealed once it commits (at once in autocommit). Never
    fails the caller: a seal that fails is logged, and the next seal takes its events."""
    hook = settings.AUDIT_SEAL_NOTIFY
    if connection.vendor == "sqlite" or not hook or settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(seal_pending, robust=True)
    else:
        transaction.on_commit(_ask_a_worker, robust=True)
