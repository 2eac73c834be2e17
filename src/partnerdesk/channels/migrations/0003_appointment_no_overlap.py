"""No agent holds two appointments at once (R6.4): on PostgreSQL an exclusion constraint (btree_gist) backs up
the check that the services make under the agent's lock. Other databases rely on that check alone."""

from django.db import migrations

CONSTRAINT = "appointment_agent_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE channels_appointment ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(agent_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (state IN ('scheduled', 'held') AND agent_id IS NOT NULL)"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE channels_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("channels", "0002_appointments")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
