"""Time entries now belong to the worklog app; their table stays (state only, no data moves)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0005_standard_plan_service_levels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TimeEntry')],
            database_operations=[],
        ),
    ]
