from django.db import migrations


def create_schedules(apps, schema_editor):
    from provisioning.services.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
    )


class Migration(migrations.Migration):
    """Adds the audit seal-and-checkpoint and request-log purge schedules (ensure_schedules creates only missing ones)."""

    dependencies = [("provisioning", "0005_scim_request_log")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
