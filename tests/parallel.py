"""What each pytest-xdist worker gets of its own, so `pytest -n N` (and several checkouts on one machine)
never collide: its own database (pytest-django suffixes the name with the worker id), its own ports (the
OS picks free ones), and, when REDIS_URL is set, its own Redis: a private redis-server on a free port, so
its broker queue, job locks and the worker tests' FLUSHDB touch nobody else's keys."""

import os
import socket

from django.conf import settings

from lms_identity.celery import app as celery_app
from tests.provisioning.workers import Process, start_redis


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now, so parallel runs (pytest -n, several checkouts) never collide."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def xdist_worker() -> str:
    """ "gw0", "gw1", ... under pytest-xdist; "" in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def use_private_redis() -> Process:
    """Start a redis-server for this worker and point the settings and the Celery app at it. Returns the
    process (kill it at the end)."""
    port = free_port()
    server = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url
    return server
