"""Handing work to the Celery workers: every task a service starts is published here, by its name.

Services never import task modules: tasks call services, so the import would run both ways. A service
names the task (the explicit dotted names of `provisioning/tasks.py`) and this module finds it in the
Celery app's registry, which Celery's autodiscovery fills from every app's `tasks.py` on first use.
Publishing through the registered task, rather than `send_task`, keeps CELERY_TASK_ALWAYS_EAGER
working (the task then runs inline, as the unit tests and a laptop without Redis expect).
"""

from typing import Any

from celery import Task

from lms_identity.celery import app

DRAIN_OUTBOX = "provisioning.drain_outbox"
RECONCILE_PEOPLE = "provisioning.reconcile_people"
RECOMPUTE_RULE = "provisioning.recompute_rule"
RUN_JOB = "provisioning.run_job"
IMPORT_ACCOUNTS = "provisioning.import_accounts"
SEAL_AUDIT = "provisioning.seal_audit"


def publish(name: str, kwargs: dict[str, Any] | None = None, *, retry: bool = False) -> None:
    """Send the task `name` to the broker with these keyword arguments. Broker errors propagate: the
    caller decides whether the work waits (in the outbox, or as a queued JobRun) for a later attempt.
    `retry` is Celery's publish retry; off by default, so a broker outage never holds the caller."""
    _registered(name).apply_async(kwargs=kwargs, retry=retry)


def _registered(name: str) -> Task:
    if name not in app.tasks:
        app.loader.import_default_modules()  # runs the autodiscovery `lms_identity/celery.py` set up
    return app.tasks[name]
