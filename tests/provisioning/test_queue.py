"""Tasks are published by name from provisioning/queue.py; no service imports a task module, and no
module of courses/ or provisioning/ hides an import inside a function."""

import ast
from pathlib import Path
from unittest import mock

import pytest

from lms_identity.celery import app as celery_app
from provisioning import queue, tasks

ROOT = Path(__file__).resolve().parents[2]


def modules(*folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text())


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
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in modules("provisioning/services", "courses")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            alias.name == "tasks"
            or alias.name.endswith(".tasks")
            or (getattr(node, "module", None) or "").endswith("tasks")
            for alias in node.names
        )
    ]

    assert offenders == []


def test_no_import_hides_inside_a_function_in_courses_or_provisioning():
    offenders = [
        f"{path.relative_to(ROOT)}:{inner.lineno}"
        for path, tree in modules("courses", "provisioning")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]

    assert offenders == []
