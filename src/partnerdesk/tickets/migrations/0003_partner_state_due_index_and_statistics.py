"""The partner's due-time index leads with the state; PostgreSQL learns how state, level and category go together.

Both come from bench/bench_tickets.py (1,000,000 tickets): PostgreSQL multiplies the selectivities of
`state`, `level` and `due_at IS NOT NULL` as if they were independent and so guesses the vendor queue
ten times too small. With the old (partner, due_at, id) index it then answered a partner's "escalated,
by due" list and the vendor's level filter by ANDing bitmaps over the whole queue (25 ms to 1 s instead
of 1 to 9 ms). The statistics object (PostgreSQL only) gives the planner the joint frequencies.
"""

from django.db import migrations, models

STATISTICS = "ticket_state_level_category"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv) ON state, level, category FROM tickets_ticket",
            params=None,
        )
        schema_editor.execute("ANALYZE tickets_ticket", params=None)


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_capture_and_queue_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_partner_due",
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["partner", "state", "due_at", "id"], name="ticket_partner_state_due"),
        ),
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
