from django.db import migrations


def create_schedules(apps, schema_editor):
    from provisioning.services.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
    )


class Migration(migrations.Migration):
    """Adds the once-a-minute dashboard refresh (ensure_schedules creates only missing schedules)."""

    dependencies = [("provisioning", "0010_expired_sessions_schedule")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
