"""The SCIM request log's buffered writer: one background thread per process that writes the entries
requests hand it, every SCIM_REQUEST_LOG_BUFFER_MS, as one INSERT.

Why: written in the request, a logged request paid for the redaction, an extra statement and its share of
the database's work, 10-20 % of a cheap request (measured in docs/BENCHMARKS.md, `make bench evidence`).
Handed to this thread, the request only appends an entry to a list; the thread redacts and writes a
batch in one statement. What it costs: the log lags by up to the buffer time, and a process that is
killed (not stopped) loses the entries of its last buffer. A stopping process writes what it holds
(atexit). The thread starts on first use, so in each forked web process, never before the fork, and it
closes its database connection after IDLE_SECONDS without entries.

At most MAX_PENDING entries wait, holding at most MAX_PENDING_BYTES of raw bodies and answers; beyond
that (the database unreachable for a while, a burst of large group PATCHes) new entries are dropped and
counted in a warning, so memory stays bounded. A failed write is logged (the count, never a
body) and its batch dropped; a batch with a row the database refuses is written row by row, so only that
row is lost. A request never fails because of the log.
"""

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, connections

from provisioning.models import ScimRequest

from .request_log_rows import Entry, insert_rows, make_row

log = logging.getLogger("provisioning.scim.request_log")
MAX_PENDING = 10_000
MAX_PENDING_BYTES = 64 * 2**20
IDLE_SECONDS = 5.0


class _Writer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Entry] = []
        self._wake = threading.Event()  # entries are pending
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending_bytes = 0  # the raw bodies and answers held
        self._dropped = 0

    def submit(self, entry: Entry) -> None:
        with self._lock:
            size = len(entry.body) + len(entry.answer)
            if len(self._pending) >= MAX_PENDING or self._pending_bytes + size > MAX_PENDING_BYTES:
                self._dropped += 1
                return
            self._pending.append(entry)
            self._pending_bytes += size
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="scim-request-log", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is pending and end the thread (and its database connection). For a process that
        exits, and for tests that must let go of the database."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
        self._write_pending()  # what arrived after the thread's last batch, in the caller's thread

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._wake.wait(timeout=IDLE_SECONDS):
                    connections.close_all()  # this thread's connection; none is held while idle
                    continue
                self._stop.wait(timeout=settings.SCIM_REQUEST_LOG_BUFFER_MS / 1000)
                self._write_pending()
        finally:
            self._write_pending()
            connections.close_all()

    def _write_pending(self) -> None:
        with self._lock:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            dropped, self._dropped = self._dropped, 0
            self._wake.clear()
        if dropped:
            log.warning("SCIM request log: %d requests not recorded, the buffer was full", dropped)
        if not batch:
            return
        try:
            rows = [self._row(entry) for entry in batch]
            insert_rows(rows)
        except (IntegrityError, DataError):
            # One row the database refuses (its connection deleted meanwhile, a value it cannot store)
            # must not cost the others.
            self._write_one_by_one(rows)
        except Exception:  # noqa: BLE001 - the log must never take the thread (or a request) down
            log.warning("SCIM request log: could not record %d requests", len(batch), exc_info=True)
            connections.close_all()  # a broken connection is opened afresh for the next batch

    @staticmethod
    def _row(entry: Entry) -> ScimRequest:
        row = make_row(entry)
        time.sleep(0)  # a request thread gets the interpreter between rows: the batch adds less to its p99
        return row

    def _write_one_by_one(self, rows: list[ScimRequest]) -> None:
        refused = 0
        for row in rows:
            try:
                insert_rows([row])
            except DatabaseError:
                refused += 1
        log.warning("SCIM request log: %d of %d requests refused by the database", refused, len(rows))


_WRITER = _Writer()
submit = _WRITER.submit
stop = _WRITER.stop
atexit.register(stop)
