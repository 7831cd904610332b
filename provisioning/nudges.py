"""On-commit nudges: ask a worker to run a task soon, from a request, without ever making it wait.

A nudge runs in the request's thread after commit, so it must never wait on the broker: it hands the
publish to a daemon thread, and at most one such thread per process and task is in flight (a burst of
commits coalesces into one more run). Under sustained writes the thread publishes at most once per
`interval` and once more after the last commit, and stays alive between publishes rather than being
started again per commit: a publish per commit, and Thread.start() waiting for each new thread, took CPU
from the requests. A lost nudge costs nothing: the work waits in the database, and a beat task finds it.

The two nudges, named in settings (the core app, which commits, imports no task code):
- OUTBOX_NOTIFY = "provisioning.nudges.drain_outbox": dispatch the outbox events just committed;
- AUDIT_SEAL_NOTIFY = "provisioning.nudges.seal_audit": chain the audit events just committed
  (lms_identity/services/audit_sealer.py), on the workers rather than in the web process.
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

from lms_identity.services.audit_chain import seal_pending
from provisioning import queue

log = logging.getLogger("provisioning.nudges")


class TaskNudge:
    """Publish the task `name` soon after a commit: never blocks, never raises. In eager mode (unit tests)
    it does nothing: there the work is run explicitly. `when_broker_down`, if given, is run in the nudge's
    thread instead when the publish fails (at most once per interval)."""

    def __init__(
        self, name: str, interval: float, when_broker_down: Callable[[], object] | None = None
    ) -> None:
        self.name = name
        self.interval = interval
        self.when_broker_down = when_broker_down
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        # A forked child (a gunicorn or writer process) has no nudge thread, whatever its parent had.
        os.register_at_fork(after_in_child=self._forget_thread)

    def _forget_thread(self) -> None:
        self._lock = threading.Lock()
        self._running = self._again = False

    def __call__(self) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        try:
            threading.Thread(target=self._loop, daemon=True, name=f"nudge-{self.name}").start()
        except RuntimeError:  # no thread to be had (the interpreter is shutting down): the next commit tries
            with self._lock:
                self._running = False

    @property
    def running(self) -> bool:
        with self._lock:
            return self._running

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Wait until the nudge thread has published for every commit so far and ended (tests)."""
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.running

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._again = False
            began = time.monotonic()
            try:
                queue.publish(self.name)
            except Exception as exc:  # noqa: BLE001 - any broker failure: a beat task finds the rows
                log.info("nudge for %s not sent (%s); the periodic task will take the work", self.name, exc)
                self._do_it_here()
            # Commits arriving meanwhile set "again"; they get one more publish, `interval` after this one.
            time.sleep(max(0.0, began + self.interval - time.monotonic()))
            with self._lock:
                if not self._again:
                    self._running = False
                    return

    def _do_it_here(self) -> None:
        if self.when_broker_down is None:
            return
        try:
            self.when_broker_down()
        except Exception:  # noqa: BLE001 - logged; the periodic task takes the work when the broker is back
            log.exception("%s: the fallback for a broker that is down failed", self.name)
        finally:
            connections.close_all()  # this thread's own connections only


# Each drain takes every pending event, so ten a second per process is plenty.
drain_outbox = TaskNudge(queue.DRAIN_OUTBOX, interval=0.1)
# Each seal takes every committed unsealed event in one batch, and a seal's fixed cost (a task, its
# transaction, the chain-head lock) is most of it for a small batch: at most one seal a second per web
# process, so an event waits about a second for its place. Measured on the SCIM bench (POST, one
# connection, one-off): p99 9.3-9.9 ms with 0.2 s, 8.1-8.5 ms with 1 s, 7.0-7.6 ms with no sealing
# (docs/BENCHMARKS.md, session 6).
# Beat publishes through the broker too: with it down, the nudging process seals what it committed itself,
# so the chain does not wait for the broker to come back.
seal_audit = TaskNudge(queue.SEAL_AUDIT, interval=1.0, when_broker_down=seal_pending)
