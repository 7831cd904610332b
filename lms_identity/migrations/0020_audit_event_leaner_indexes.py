"""Two audit-event indexes nothing uses go: the connection foreign key's own (audit_connection_idx leads
with the connection) and action's LIKE index (nothing searches actions by prefix); action's plain index
is kept and renamed audit_action_idx. Every insert and every seal writes an entry in each index.

Without a table lock on PostgreSQL: the kept index is renamed, not rebuilt, and the others are dropped
CONCURRENTLY (so the migration is not atomic), while audited writes go on."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "lms_identity_auditevent"


def _names(schema_editor):
    name = schema_editor._create_index_name
    return name(TABLE, ["action"]), name(TABLE, ["action"], suffix="_like"), name(TABLE, ["connection_id"])


def forwards(apps, schema_editor):
    action, like, connection = (schema_editor.quote_name(n) for n in _names(schema_editor))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {action} RENAME TO audit_action_idx")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_action_idx ON {TABLE} (action)")
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {like}")
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {connection}")
    else:
        for index in (action, like, connection):
            schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS audit_action_idx ON {TABLE} (action)")


def backwards(apps, schema_editor):
    action, like, connection = (schema_editor.quote_name(n) for n in _names(schema_editor))
    schema_editor.execute("DROP INDEX IF EXISTS audit_action_idx")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {action} ON {TABLE} (action)")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {connection} ON {TABLE} (connection_id)")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {like} ON {TABLE} (action varchar_pattern_ops)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("lms_identity", "0019_scim_token_expires_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="action",
                    field=models.CharField(max_length=64),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="connection",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="lms_identity.idpconnection",
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["action"], name="audit_action_idx"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
