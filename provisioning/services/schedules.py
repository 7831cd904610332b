"""The default beat schedule, stored as django-celery-beat rows so admins can edit it (Periodic tasks)."""

import json
from typing import Any

# name -> (task, kwargs, every N seconds | crontab "minute hour")
DEFAULT_SCHEDULES: dict[str, tuple[str, dict[str, Any], int | str]] = {
    "Drain the outbox": ("provisioning.drain_outbox", {}, 5),
    "Resume lost or crashed job runs": ("provisioning.resume_job_runs", {}, 60),
    "Check alerts": ("provisioning.check_alerts", {}, 300),
    "Refresh the dashboard figures": ("provisioning.refresh_dashboard", {}, 60),
    "Seal the audit trail and log a signed checkpoint": ("provisioning.checkpoint_audit", {}, 60),
    "Close passed break-glass windows": ("provisioning.close_break_glass_windows", {}, 60),
    "End expired sessions": ("provisioning.end_expired_sessions", {}, 300),
    "Purge old SCIM request log rows": ("provisioning.purge_request_log", {}, "45 4"),
    "Nightly full reconcile": ("provisioning.run_job", {"kind": "reconcile_everyone"}, "0 2"),
    "Sweep: inactive people holding access": ("provisioning.run_job", {"kind": "inactive_access"}, "30 2"),
    "Sweep: orphaned accounts": ("provisioning.run_job", {"kind": "orphaned_accounts"}, "0 3"),
    "Sweep: disabled connections": ("provisioning.run_job", {"kind": "disabled_connection"}, "15 3"),
    "Sweep: retention purge": ("provisioning.run_job", {"kind": "retention_purge"}, "30 3"),
    "Sweep: unused seats": ("provisioning.run_job", {"kind": "unused_seats"}, "0 4"),
}


def ensure_schedules(periodic_task: Any, interval: Any, crontab: Any) -> int:
    """Create the missing default schedules; never touch one an admin edited. Takes the model classes
    (real or a migration's historical ones). Returns how many were created."""
    created = 0
    for name, (task, kwargs, when) in DEFAULT_SCHEDULES.items():
        if periodic_task.objects.filter(name=name).exists():
            continue
        schedule: dict[str, Any] = {}
        if isinstance(when, int):
            schedule["interval"], _ = interval.objects.get_or_create(every=when, period="seconds")
        else:
            minute, hour = when.split()
            schedule["crontab"], _ = crontab.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
            )
        periodic_task.objects.create(name=name, task=task, kwargs=json.dumps(kwargs), **schedule)
        created += 1
    return created
