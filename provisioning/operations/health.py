"""/healthz (the process answers) and /readyz (what this deployment needs is there), on django-health-check.

/readyz checks the database, the broker (Redis, when REDIS_URL is set), the workers' heartbeat (the
seal-and-checkpoint task that beat starts every minute writes a checkpoint from a worker), beat's last run
(django-celery-beat's last_run_at, saved by beat every few minutes), and the age of the oldest outbox event
not dispatched yet. Limits come from settings read at request time.
"""

import dataclasses
from collections.abc import Generator
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from lms_identity.models import AuditCheckpoint, OutboxEvent

BROKER_TIMEOUT_SECONDS = 2


def _since(moment: datetime | None) -> str:
    return f"{int((timezone.now() - moment).total_seconds())} s ago" if moment else "never"


class DatabaseFigureCheck(HealthCheck):
    """A check that reads the database on the request's own thread and connection (the library runs
    plain sync checks on executor threads, each of which would hold a connection of its own)."""

    async def run(self) -> None:
        await sync_to_async(self.check, thread_sensitive=True)()

    def check(self) -> None:
        raise NotImplementedError


@dataclasses.dataclass
class WorkerHeartbeat(DatabaseFigureCheck):
    """A worker ran the per-minute seal-and-checkpoint task recently."""

    def check(self) -> None:
        last = AuditCheckpoint.objects.aggregate(last=Max("at"))["last"]
        limit = timedelta(seconds=settings.READYZ_WORKER_MAX_AGE)
        if last is None or timezone.now() - last > limit:
            raise ServiceUnavailable(f"last worker heartbeat: {_since(last)}")


@dataclasses.dataclass
class BeatLastRun(DatabaseFigureCheck):
    """Beat sent a scheduled task recently."""

    def check(self) -> None:
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        limit = timedelta(seconds=settings.READYZ_BEAT_MAX_AGE)
        if last is None or timezone.now() - last > limit:
            raise ServiceUnavailable(f"beat's last run: {_since(last)}")


@dataclasses.dataclass
class OutboxBacklogAge(DatabaseFigureCheck):
    """The oldest change waiting for the workers is young enough."""

    def check(self) -> None:
        oldest = OutboxEvent.objects.filter(dispatched_at__isnull=True).aggregate(oldest=Min("created_at"))
        created = oldest["oldest"]
        if created and timezone.now() - created > timedelta(seconds=settings.READYZ_OUTBOX_MAX_AGE):
            raise ServiceUnavailable(f"the oldest undispatched outbox event was written {_since(created)}")


def _redis_client() -> RedisClient:
    return RedisClient.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
    )


class LivenessView(HealthCheckView):
    """200 while the process answers; checks nothing else (for restarts, not for traffic)."""

    checks = ()


class ReadinessView(HealthCheckView):
    """200 when every dependency is healthy, 500 with the failing checks otherwise."""

    def get_checks(self) -> Generator[HealthCheck, None, None]:
        yield Database()
        if settings.REDIS_URL:
            yield Redis(client_factory=_redis_client)
        yield WorkerHeartbeat()
        yield BeatLastRun()
        yield OutboxBacklogAge()
