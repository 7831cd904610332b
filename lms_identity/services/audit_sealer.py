"""One background sealer thread per process: writers wake it on commit, it chains what has committed.

Why a thread rather than sealing in the committing request: a seal is one more transaction (lock the chain
head, read the new events, write their hashes), and under load that is a visible share of a SCIM request's
time (measured in docs/BENCHMARKS.md). The thread seals every event committed since its last run in one
batch, waiting for the head lock if another process's sealer holds it; the request only sets an event.
A process that exits before its thread ran leaves its events to the next seal anywhere (every minute at
the latest, from beat). The thread keeps its database connection while commits keep coming and closes it
after IDLE_SECONDS without one, so it holds none while idle.
"""

import logging
import threading
import time

from django.db import connection, connections, transaction

from .audit_chain import seal_pending

log = logging.getLogger("lms_identity.audit")
GATHER_SECONDS = 0.2
# The thread keeps its database connection between rounds and closes it after this long without one (a
# connection per round cost the database a new backend five times a second per process). 0: close after
# every round (the test suite, whose databases are dropped as soon as the last test ends).
IDLE_SECONDS = 5.0


class _Sealer:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._busy = False  # woken and not yet done with the round that answers the wake

    def wake(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                # Started on first use, so in each forked web or worker process, never before the fork.
                self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
                self._thread.start()
            self._busy = True
            self._wake.set()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every wake so far has been answered by a finished round. For whoever is about to
        take locks the sealer also takes (a test database being emptied, a process shutting down)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._start_lock:
                if not self._busy:
                    return True
            time.sleep(0.02)
        return False

    def _run(self) -> None:
        while True:
            if not self._wake.wait(timeout=IDLE_SECONDS or None):
                connections.close_all()  # idle: this thread holds no connection
                continue
            # Gather a burst of commits into one seal: at most a few seals a second per process, so the
            # sealer never competes with the requests that woke it.
            time.sleep(GATHER_SECONDS)
            self._wake.clear()
            try:
                seal_pending()
            except Exception:  # noqa: BLE001 - the next wake or the beat task seals these events
                log.exception("audit sealer: sealing failed; the next seal will take these events")
                connections.close_all()  # a broken connection is opened afresh next round
            finally:
                if not IDLE_SECONDS:
                    connections.close_all()
                with self._start_lock:
                    if not self._wake.is_set():
                        self._busy = False


_SEALER = _Sealer()
wait_until_idle = _SEALER.wait_until_idle


def seal_after_commit() -> None:
    """Have the events of the current transaction sealed once it commits (at once in autocommit), in the
    background on PostgreSQL. Never fails the caller. On SQLite, which lets one writer in at a time (and
    whose shared in-memory test databases refuse a second thread's writes outright), the committing
    thread seals right after its commit instead."""
    if connection.vendor == "sqlite":
        transaction.on_commit(seal_pending, robust=True)
    else:
        transaction.on_commit(_SEALER.wake, robust=True)
