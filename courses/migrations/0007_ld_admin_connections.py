"""The L&D admin sees the IdP connection pages and looks after their SCIM tokens (issue 11): two new
capabilities added to the role template. People holding the role get the permissions at their next sign-in
or the nightly reconcile (courses.services.admin_access)."""

from django.db import migrations

ADDED = ["view_connections", "manage_scim_tokens"]


def forwards(apps, schema_editor):
    RoleTemplate = apps.get_model("courses", "RoleTemplate")
    admin = RoleTemplate.objects.filter(slug="ld-admin").first()
    if admin is not None:
        admin.capabilities = sorted(set(admin.capabilities or []) | set(ADDED))
        admin.save(update_fields=["capabilities"])


def backwards(apps, schema_editor):
    RoleTemplate = apps.get_model("courses", "RoleTemplate")
    admin = RoleTemplate.objects.filter(slug="ld-admin").first()
    if admin is not None:
        admin.capabilities = sorted(set(admin.capabilities or []) - set(ADDED))
        admin.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("courses", "0006_seat_waiting_list")]
    operations = [migrations.RunPython(forwards, backwards)]
