"""The L&D admin's capabilities as enforced (catalog, rules and pools, jobs, people and audit read,
dashboards, break-glass approval) and the read-only Auditor role (audit trail, dashboards and exports)."""

from django.db import migrations

LD_ADMIN = [
    "learn",
    "manage_catalog",
    "manage_rules",
    "manage_jobs",
    "view_people",
    "view_audit",
    "view_dashboards",
    "view_reports",
    "approve_break_glass",
]
AUDITOR = ["view_audit", "view_dashboards"]


def forwards(apps, schema_editor):
    RoleTemplate = apps.get_model("courses", "RoleTemplate")
    admin = RoleTemplate.objects.filter(slug="ld-admin").first()
    if admin is not None:
        admin.capabilities = sorted(set(admin.capabilities or []) | set(LD_ADMIN))
        admin.save(update_fields=["capabilities"])
    # Like the L&D admin, never granted from HR data alone: only an explicit rule or override.
    RoleTemplate.objects.get_or_create(
        slug="auditor", defaults={"name": "Auditor", "capabilities": AUDITOR, "requires_explicit_rule": True}
    )


class Migration(migrations.Migration):
    dependencies = [("courses", "0003_fewer_grant_indexes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
