"""On PostgreSQL the database itself refuses UPDATE and DELETE on audit-log rows (R9.4).

The application refuses them too (AuditEntry's manager and model); the trigger also stops raw SQL.
TRUNCATE (used by test flushes) is not a row operation and stays possible for the database owner;
the hash chain (`partnerdesk audit verify`) detects whatever gets past both.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION contact_audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on contact_auditentry refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER contact_audit_entry_append_only
    BEFORE UPDATE OR DELETE ON contact_auditentry
    FOR EACH ROW EXECUTE FUNCTION contact_audit_entry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS contact_audit_entry_append_only ON contact_auditentry;
DROP FUNCTION IF EXISTS contact_audit_entry_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # the SQL has a literal % (RAISE format)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("contact", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
