"""The search index beside the table: PostgreSQL a generated tsvector column with a GIN index, SQLite an
FTS5 table kept in step by triggers (partnerdesk.manual.search). Both index the stems of search_title
and search_body.

SQLite: a later migration that alters manual_section makes Django rebuild the table, which drops the
triggers; such a migration must run search.drop_index before and search.create_index after.
"""

from django.db import migrations

from partnerdesk.manual import search


def forwards(apps, schema_editor):
    search.create_index(schema_editor)


def backwards(apps, schema_editor):
    search.drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("manual", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
