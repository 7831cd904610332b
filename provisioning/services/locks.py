"""One run of a job at a time across every worker: a lease in Redis, or in the database without Redis.

A lease expires by itself (`JOB_LOCK_TTL` seconds) so a worker killed mid-run cannot hold it forever; a
run extends it after every chunk and stops if it finds the lease taken over.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from redis import Redis
from redis.exceptions import LockError

from provisioning.models import JobLock


class LockLost(Exception):
    """The lease expired and another worker took it: stop without writing more."""


class Lease(Protocol):
    def acquire(self) -> bool: ...
    def extend(self) -> None: ...
    def release(self) -> None: ...


class RedisLease:
    """A redis-py Lock: SET NX PX with a random token; extend and release check the token (Lua)."""

    def __init__(self, name: str, ttl: int) -> None:
        client = Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=3)
        self._lock = client.lock(f"lms:lock:{name}", timeout=ttl, blocking=False)
        self._ttl = ttl

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def extend(self) -> None:
        try:
            self._lock.reacquire()
        except LockError:
            raise LockLost() from None

    def release(self) -> None:
        try:
            self._lock.release()
        except LockError:
            pass  # expired already: nothing of ours to release


class DatabaseLease:
    """A row per lock name, claimed by a conditional UPDATE that only succeeds when the lease is free."""

    def __init__(self, name: str, ttl: int) -> None:
        self._name = name
        self._ttl = ttl
        self._owner = uuid.uuid4().hex

    def acquire(self) -> bool:
        JobLock.objects.get_or_create(name=self._name)
        now = timezone.now()
        free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
        claimed = JobLock.objects.filter(free, name=self._name).update(
            owner=self._owner, expires_at=now + timedelta(seconds=self._ttl)
        )
        return claimed == 1

    def extend(self) -> None:
        until = timezone.now() + timedelta(seconds=self._ttl)
        if not JobLock.objects.filter(name=self._name, owner=self._owner).update(expires_at=until):
            raise LockLost()

    def release(self) -> None:
        JobLock.objects.filter(name=self._name, owner=self._owner).update(owner="", expires_at=None)


def make_lease(name: str) -> Lease:
    ttl = settings.JOB_LOCK_TTL
    if settings.REDIS_URL:
        return RedisLease(name, ttl)
    return DatabaseLease(name, ttl)


@contextmanager
def job_lock(name: str) -> Iterator[Lease | None]:
    """Yield the held lease, or None when another worker holds it. Released on exit."""
    lease = make_lease(name)
    if not lease.acquire():
        yield None
        return
    try:
        yield lease
    finally:
        lease.release()
