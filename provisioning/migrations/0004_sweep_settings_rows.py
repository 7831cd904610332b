"""A settings row for every sweep kind, with safe defaults, so the Sweeps page lists them all and an
admin tunes what exists instead of adding rows. Existing rows are kept as they are."""

from django.db import migrations

# The sweeps' own defaults (provisioning/sweeps/*.py) at the time of this migration; the unused-seats
# sweep starts switched off (it takes seats away from people who may still need them).
DEFAULTS = {
    "inactive_access": {"days": 0},
    "orphaned_accounts": {"days": 90},
    "disabled_connection": {"days": 0, "brake_share": 1.0},
    "retention_purge": {"days": 30},
    "unused_seats": {"days": 60, "enabled": False},
    "reconcile_everyone": {"days": 0, "chunk_size": 2000, "max_actions_per_run": 100_000_000},
}


def create_rows(apps, schema_editor):
    SweepSettings = apps.get_model("provisioning", "SweepSettings")
    for kind, defaults in DEFAULTS.items():
        SweepSettings.objects.get_or_create(kind=kind, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0003_job_kinds_for_task_failures")]
    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
