"""Tasks are published by name from provisioning/queue.py; no service imports a task module, and no
module of courses/ or provisioning/ hides an import inside a function."""

import ast
from pathlib import Path
from unittest import mock

import pytest

from lms_identity.celery import app as celery_app
from provisioning import queue, tasks

ROOT = Path(__file__).resolve().parents[2]


def imports(*folders, inside_functions=False):
    """(place, import node) for every import in these folders' modules (migrations aside)."""
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            # AppConfig.ready() is where Django says to import signal receivers (the app registry is
            # not ready at module import), not a dodge around a cycle.
            scopes = (
                [
                    n
                    for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and not (path.name == "apps.py" and n.name == "ready")
                ]
                if inside_functions
                else [tree]
            )
            for scope in scopes:
                for node in ast.walk(scope):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", node


@pytest.mark.parametrize(
    "name", [queue.DRAIN_OUTBOX, queue.RECONCILE_PEOPLE, queue.RECOMPUTE_RULE, queue.RUN_JOB]
)
def test_every_name_the_services_publish_is_a_registered_task(name):
    queue._registered(name)

    assert celery_app.tasks[name].name == name


def test_publishing_sends_the_named_task_with_its_arguments_and_no_broker_retry():
    with mock.patch.object(tasks.run_job, "apply_async") as send:
        queue.publish(queue.RUN_JOB, {"kind": "orphaned_accounts", "job_run_id": 7})

    send.assert_called_once_with(kwargs={"kind": "orphaned_accounts", "job_run_id": 7}, retry=False)


def test_publishing_an_unknown_name_fails_loudly():
    with pytest.raises(KeyError):
        queue.publish("provisioning.no_such_task")


def test_no_service_imports_a_task_module():
    offenders = [
        place
        for place, node in imports("provisioning/services", "courses")
        if any(
            alias.name == "tasks"
            or alias.name.endswith(".tasks")
            or (getattr(node, "module", None) or "").endswith("tasks")
            for alias in node.names
        )
    ]

    assert offenders == []


def test_no_import_hides_inside_a_function_in_courses_or_provisioning():
    offenders = sorted({place for place, _ in imports("courses", "provisioning", inside_functions=True)})

    assert offenders == []
