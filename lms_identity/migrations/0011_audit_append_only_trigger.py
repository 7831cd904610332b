"""PostgreSQL refuses UPDATE and DELETE of audit events, except the two writes the audit services make:
the seal (chain fields set once, nothing else changed) and the redaction of a purged person's personal
fields (only while lms_identity/services/audit_redaction.py has set `lms.audit_redaction`). Row triggers
do not fire on TRUNCATE (tests flush tables with it); a truncated trail is caught by verify_audit
against the chain head and the signed checkpoints."""

from django.db import migrations

UNCHANGED_FOR_SEAL = (
    "id", "at", "actor_type", "actor_id", "actor_label", "action", "target_type", "target_id",
    "target_label", "connection_id", "changes", "context", "redacted",
)
UNCHANGED_FOR_REDACTION = (
    "id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "connection_id",
    "context", "seq", "personal_digest", "chain_hash",
)


def _row(prefix, columns):
    return "(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


CREATE = f"""
CREATE OR REPLACE FUNCTION lms_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only: DELETE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND {_row("NEW", UNCHANGED_FOR_SEAL)} IS NOT DISTINCT FROM {_row("OLD", UNCHANGED_FOR_SEAL)} THEN
        RETURN NEW;
    END IF;
    IF current_setting('lms.audit_redaction', true) = 'on' AND NEW.redacted
       AND {_row("NEW", UNCHANGED_FOR_REDACTION)} IS NOT DISTINCT FROM {_row("OLD", UNCHANGED_FOR_REDACTION)} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS lms_audit_append_only ON lms_identity_auditevent;
CREATE TRIGGER lms_audit_append_only BEFORE UPDATE OR DELETE ON lms_identity_auditevent
    FOR EACH ROW EXECUTE FUNCTION lms_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS lms_audit_append_only ON lms_identity_auditevent;
DROP FUNCTION IF EXISTS lms_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def create_head(apps, schema_editor):
    apps.get_model("lms_identity", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("lms_identity", "0010_audit_chain")]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
