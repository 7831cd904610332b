from django.db import migrations


def create_schedules(apps, schema_editor):
    from provisioning.services.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
    )


class Migration(migrations.Migration):
    """Adds the five-minute "End expired sessions" schedule (ensure_schedules creates only missing ones)."""

    dependencies = [
        ("provisioning", "0009_break_glass_window_schedule"),
        ("lms_identity", "0018_session_expiry_indexes"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
