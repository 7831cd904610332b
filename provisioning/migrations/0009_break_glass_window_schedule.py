from django.db import migrations


def create_schedules(apps, schema_editor):
    from provisioning.services.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
    )


class Migration(migrations.Migration):
    """Adds the every-minute "Close passed break-glass windows" schedule (ensure_schedules creates only missing ones)."""

    dependencies = [("provisioning", "0008_account_import_job_kind"), ("lms_identity", "0017_break_glass_closed_at")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
