import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('worklog', '0001_initial'),
        ('tickets', '0003_partner_state_due_index_and_statistics'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TimeEntryEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entry_number', models.PositiveBigIntegerField(db_index=True, verbose_name='time entry')),
                ('kind', models.CharField(choices=[('booked', 'Booked'), ('corrected', 'Corrected'), ('deleted', 'Deleted'), ('billable', 'Marked billable'), ('not_billable', 'Marked not billable')], max_length=20, verbose_name='event')),
                ('at', models.DateTimeField(verbose_name='when')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='before')),
                ('after', models.JSONField(blank=True, null=True, verbose_name='after')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entry_events', to='tickets.ticket')),
            ],
            options={
                'verbose_name': 'time entry event',
                'verbose_name_plural': 'time entry events',
                'ordering': ['ticket_id', 'at', 'pk'],
                'indexes': [models.Index(fields=['ticket', 'at'], name='entry_event_ticket_at')],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['booked', 'corrected', 'deleted', 'billable', 'not_billable'])), name='entry_event_kind_valid')],
            },
        ),
    ]
