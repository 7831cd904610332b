"""What the sections share during one run: settings, databases, the server, the ceiling figures."""

import os
import time
from dataclasses import dataclass, field
from typing import Any

from bench import db
from bench.server import CeleryWorker, Gunicorn, free_port

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lms_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"


class Skip(Exception):  # noqa: N818 - reads as `raise Skip("reason")`
    """A section cannot run (its feature has not landed); the reason goes in the report."""


@dataclass
class Bench:
    quick: bool
    database_url: str
    redis_url: str
    run_id: str = field(default_factory=lambda: f"{int(time.time()) % 1_000_000:06d}")
    ceiling: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: Gunicorn | None = None
    _worker: CeleryWorker | None = None
    _template_ready: bool = False
    _created: set[str] = field(default_factory=set)
    # Ports the OS says are free at the start of the run: the web server's and the SSO stub IdP's.
    port: int = field(default_factory=free_port)
    stub_port: int = field(default_factory=free_port)

    @property
    def base(self) -> str:
        return db.base_name(self.database_url)

    def url(self, name: str) -> str:
        return db.url_for(self.database_url, name)

    def seconds(self, full: float, quick: float) -> float:
        return quick if self.quick else full

    def fresh_database(self, suffix: str = "") -> str:
        """A newly migrated database of our own (dropped and created again), now used by this process."""
        name = self.base + (f"_{suffix}" if suffix else "")
        if self._server is not None and self._server.database_url == self.url(name):
            self.stop_server()
        if self._worker is not None:
            self.stop_worker()
        if not self._template_ready:
            db.use("postgres")
            db.migrate_template(self.database_url, self.base + "_tpl")
            self._template_ready = True
        db.use("postgres")
        db.recreate(self.database_url, name, template=self.base + "_tpl")
        db.use(name)
        self._created.add(name)
        return name

    def track(self, name: str) -> None:
        """A database created outside fresh_database (the peer's): dropped with the others at the end."""
        self._created.add(name)

    def database(self, suffix: str = "") -> str:
        """The run's database with this suffix: created fresh on first use, reused afterwards."""
        name = self.base + (f"_{suffix}" if suffix else "")
        if name not in self._created:
            return self.fresh_database(suffix)
        db.use(name)
        return name

    def server(self, name: str) -> Gunicorn:
        """gunicorn serving database `name` on the run's port (restarted if it served another one)."""
        url = self.url(name)
        if self._server is not None and (self._server.database_url != url or not self._server.alive()):
            self.stop_server()
        if self._server is None:
            self._server = Gunicorn(port=self.port, database_url=url, redis_url=self.redis_url)
        return self._server

    def worker(self, name: str, *, beat: bool = False) -> CeleryWorker:
        url = self.url(name)
        if self._worker is not None and (self._worker.database_url != url or not self._worker.alive()):
            self.stop_worker()
        if self._worker is None:
            self._worker = CeleryWorker(database_url=url, redis_url=self.redis_url, beat=beat)
        return self._worker

    def stop_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    @property
    def web_port(self) -> int:
        return self.port

    def drop_databases(self) -> None:
        db.use("postgres")
        for name in sorted(self._created | {self.base + "_tpl"}):
            db.drop(self.database_url, name)

    def close(self) -> None:
        self.stop_worker()
        self.stop_server()

    @staticmethod
    def environment() -> tuple[str, str, list[str]]:
        notes = []
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url:
            database_url = DEFAULT_DATABASE_URL
            notes.append(
                f"DATABASE_URL is unset: using {DEFAULT_DATABASE_URL} (PostgreSQL runs on this machine)"
            )
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            redis_url = DEFAULT_REDIS_URL
            notes.append(f"REDIS_URL is unset: using {DEFAULT_REDIS_URL} (Redis runs on this machine)")
        return database_url, redis_url, notes
