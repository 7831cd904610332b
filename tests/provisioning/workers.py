"""Real Celery workers, beat and a throwaway Redis as subprocesses, for the @pytest.mark.worker tests."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def test_database_url() -> str:
    """The URL of the database the test run uses (pytest-django's test_… database)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Process:
    def __init__(self, args: list[str], env: dict[str, str], ready: str, name: str) -> None:
        self.log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
        self.popen = subprocess.Popen(  # noqa: S603 (our own executables)
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for(ready, timeout=60)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"process exited early:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} not seen in time:\n{self.output()[-3000:]}")

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis_url,
        DB_CONN_MAX_AGE="0",
        CELERY_TASK_ALWAYS_EAGER="0",
        **extra,
    )
    return env


def start_worker(name: str, redis_url: str, *, queues: str = "", **extra: str) -> Process:
    """A worker of its own (-P solo); `queues` as celery's -Q (default: every queue in the settings)."""
    args = [CELERY, "-A", "lms_identity", "worker", "-P", "solo", "-n", f"{name}@%h", "-l", "INFO"]
    args += ["--without-mingle", "--without-gossip"] + (["-Q", queues] if queues else [])
    return Process(args, worker_env(redis_url, **extra), ready="ready.", name=name)


def start_beat(redis_url: str) -> Process:
    schedule = tempfile.mkdtemp(prefix="beat-")
    args = [CELERY, "-A", "lms_identity", "beat", "-l", "INFO", "--max-interval", "1"]
    args += ["-S", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile", f"{schedule}/beat.pid"]
    return Process(args, worker_env(redis_url), ready="beat: Starting", name="beat")


def start_redis(port: int) -> Process:
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Process(args, dict(os.environ), ready="Ready to accept connections", name=f"redis-{port}")


def wait_until(check, timeout: float = 30, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not met in time")
