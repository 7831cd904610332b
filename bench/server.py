"""The processes under test: gunicorn serving `lms_identity.wsgi:application`, and a Celery worker.

gunicorn is sized for this machine: one process per core (`nproc`), each with 4 threads (gthread), so a
request waiting on PostgreSQL leaves the core to another, and keep-alive connections stay open between
requests as an IdP's connector keeps them. The same setup serves the ceiling views and SCIM.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.paths import REPO, VAR

THREADS = 4


def free_port() -> int:
    """A port no process listens on now (the OS picks it), so parallel runs never collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def workers() -> int:
    return os.cpu_count() or 2


def describe() -> str:
    return f"gunicorn {workers()} workers × {THREADS} threads (gthread), keep-alive"


def _env(database_url: str, redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret"),
        "DEBUG": "0",
        "LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "WARNING"),
        **(extra or {}),
    }


class Process:
    """A child process in its own session, stopped by its process-group id."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path: Path = VAR / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own binaries, fixed arguments
            argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Gunicorn(Process):
    def __init__(
        self,
        *,
        port: int,
        database_url: str,
        redis_url: str,
        env: dict[str, str] | None = None,
        app: str = "lms_identity.wsgi:application",
        settings: str = "bench.settings",
        name: str = "gunicorn",
        sealer: bool = True,
    ):
        argv = [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers()),
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--keep-alive",
            "75",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ]
        extra = {"DJANGO_SETTINGS_MODULE": settings, **(env or {})}
        super().__init__(name, argv, _env(database_url, redis_url, extra))
        self.port = port
        self.database_url = database_url
        # Our requests' audit events are sealed on a worker (provisioning.seal_audit, on the audit queue),
        # as deployed: that worker runs beside our server, so the seals' cost is on this machine's cores
        # (`sealer=False`: no such worker, for a server that seals otherwise or not at all).
        self.sealer = (
            CeleryWorker(
                database_url=database_url, redis_url=redis_url, queues="audit", name=f"{name}-sealer"
            )
            if sealer and app == "lms_identity.wsgi:application"
            else None
        )
        self._wait_ready()

    def stop(self) -> None:
        super().stop()
        if self.sealer is not None:
            self.sealer.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited at start:\n{self.tail()}")
            try:
                status, _ = request(self.port, "GET", "/bench/ceiling/read/0/")
                if status == 404:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.tail()}")


class CeleryWorker(Process):
    """A Celery worker on every queue, or with `queues` (celery's -Q) a single process on those only."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        concurrency: int = 2,
        beat: bool = False,
        queues: str = "",
        name: str = "celery-worker",
    ):
        argv = [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "lms_identity",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            argv += ["--beat", "--schedule", str(VAR / "celerybeat-schedule")]
        if queues:
            argv += ["--queues", queues, "--pool", "solo"]
        env = _env(database_url, redis_url, {"DJANGO_SETTINGS_MODULE": "lms_identity.settings"})
        super().__init__(name, argv, env)
        self.database_url = database_url


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, bytes]:
    """One request on a new connection, for single large operations timed by the caller."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(spec: dict[str, Any], *, timeout: float = 600) -> dict[str, Any]:
    """Run the load generator in its own process and return its summary."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps({"host": "127.0.0.1", **spec}),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed: {result.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


class Client:
    """One keep-alive connection from this process, for timing single large operations one by one."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def send(
        self, method: str, path: str, body: Any = None, *, expect: tuple[int, ...] = (200,)
    ) -> tuple[float, bytes]:
        """Send one request; return (milliseconds, body). A status not in `expect` raises."""
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        for attempt in range(2):
            began = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt:
                    raise
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if response.status not in expect:
                raise RuntimeError(f"{method} {path[:100]} answered {response.status}: {payload[:300]!r}")
            return elapsed, payload
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()
