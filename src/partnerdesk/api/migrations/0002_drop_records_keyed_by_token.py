"""Records were keyed by token or session; keys now belong to the user. Old records only served
retries within the TTL, so they are dropped rather than re-keyed (a retry then runs once more)."""

from django.db import migrations


def drop_records(apps, schema_editor):
    apps.get_model("api", "IdempotencyRecord").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_records, migrations.RunPython.noop),
    ]
