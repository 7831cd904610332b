from django.db import migrations

ROLES = [
    ("learner", "Learner", ["learn"], False),
    ("manager", "Manager", ["learn", "view_reports"], False),
    ("instructor", "Instructor", ["learn", "teach"], False),
    # Never from HR data or SCIM alone: only an explicit entitlement rule or a manual override grants it.
    ("ld-admin", "L&D admin", ["learn", "manage_catalog", "manage_rules", "view_reports"], True),
]


def seed(apps, schema_editor):
    RoleTemplate = apps.get_model("courses", "RoleTemplate")
    for slug, name, capabilities, explicit in ROLES:
        RoleTemplate.objects.get_or_create(
            slug=slug, defaults={"name": name, "capabilities": capabilities, "requires_explicit_rule": explicit}
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_catalog_rules_grants")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
