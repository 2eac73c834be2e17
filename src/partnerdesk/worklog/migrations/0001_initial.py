"""Time entries move from the contracts app to worklog without moving data: the table keeps its name
(``contracts_timeentry``), only Django's state changes; the content type follows (permissions, admin log).
"""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, source='contracts', target='worklog'):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    stale = ContentType.objects.filter(app_label=source, model='timeentry')
    if ContentType.objects.filter(app_label=target, model='timeentry').exists():
        stale.delete()  # the target's own row (and permissions) exist already
    else:
        stale.update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source='worklog', target='contracts')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contracts', '0006_time_entries_move_to_worklog'),
        ('tickets', '0003_partner_state_due_index_and_statistics'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TimeEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(verbose_name='start')),
                        ('minutes', models.PositiveSmallIntegerField(verbose_name='minutes')),
                        ('activity', models.CharField(choices=[('email', 'E-mail'), ('callback', 'Callback'), ('web_meeting', 'Web meeting'), ('remote_maintenance', 'Remote maintenance'), ('analysis', 'Analysis')], max_length=30, verbose_name='activity')),
                        ('text', models.TextField(blank=True, verbose_name='text')),
                        ('billable', models.BooleanField(default=True, verbose_name='billable')),
                        ('units', models.PositiveIntegerField(verbose_name='units')),
                        ('included_units', models.PositiveIntegerField(default=0, verbose_name='included units')),
                        ('extra_units', models.PositiveIntegerField(default=0, verbose_name='extra units')),
                        ('charged_units', models.PositiveIntegerField(default=0, verbose_name='charged units')),
                        ('amount_cents', models.PositiveBigIntegerField(default=0, verbose_name='amount (cents)')),
                        ('currency', models.CharField(choices=[('EUR', 'EUR')], default='EUR', max_length=3, verbose_name='currency')),
                        ('charge_lines', models.JSONField(blank=True, default=list, verbose_name='charge lines')),
                        ('booked_at', models.DateTimeField(auto_now_add=True, verbose_name='booked')),
                        ('invoiced_at', models.DateTimeField(blank=True, null=True, verbose_name='invoiced')),
                        ('agent', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='contracts.contract')),
                        ('term', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='contracts.contractterm')),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='tickets.ticket')),
                    ],
                    options={
                        'verbose_name': 'time entry',
                        'verbose_name_plural': 'time entries',
                        'db_table': 'contracts_timeentry',
                        'ordering': ['started_at', 'pk'],
                        'indexes': [models.Index(fields=['ticket', 'contract'], name='entry_ticket_contract'), models.Index(fields=['term', 'billable'], name='entry_term_billable')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('minutes__gte', 1), ('minutes__lte', 1440)), name='entry_minutes_1_to_1440'), models.CheckConstraint(condition=models.Q(('units__gte', 1)), name='entry_units_positive'), models.CheckConstraint(condition=models.Q(models.Q(('billable', True), ('units', django.db.models.expressions.CombinedExpression(models.F('included_units'), '+', models.F('extra_units')))), models.Q(('amount_cents', 0), ('billable', False), ('charged_units', 0), ('extra_units', 0), ('included_units', 0)), _connector='OR'), name='entry_split_adds_up')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
