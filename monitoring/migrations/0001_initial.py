"""The alert and self-test models move here from webhooks and bounces, tables and
rows untouched: the state gets the models (same db_table, index and constraint
names), the database gets nothing. webhooks 0004 and bounces 0007 then drop
them from their apps' state, also without touching the database."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # After the migrations that created the tables (webhooks 0002, bounces 0003).
    dependencies = [
        ('webhooks', '0003_webhook_event_reason'),
        ('bounces', '0006_unmatched_every_source'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AlertIncident',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule', models.CharField(max_length=50)),
                        ('key', models.CharField(max_length=200)),
                        ('summary', models.CharField(max_length=500)),
                        ('details', models.JSONField(blank=True, default=dict)),
                        ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('close_reason', models.CharField(blank=True, choices=[('recovered', 'Recovered'), ('rule_off', 'rule switched off')], default='', max_length=20)),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('notified_to', models.JSONField(blank=True, default=list)),
                        ('recovery_notified_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'alert_incidents',
                        'ordering': ['-opened_at', '-id'],
                        'indexes': [models.Index(fields=['closed_at', '-opened_at'], name='alert_incident_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('closed_at__isnull', True)), fields=('key',), name='alert_incident_one_open_per_key')],
                    },
                ),
                migrations.CreateModel(
                    name='ProbeRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('selftest', 'Selftest'), ('round_trip', 'Round Trip')], max_length=20)),
                        ('status', models.CharField(choices=[('running', 'Running'), ('passed', 'Passed'), ('failed', 'Failed')], default='running', max_length=20)),
                        ('token', models.CharField(max_length=32, unique=True)),
                        ('address', models.CharField(blank=True, default='', max_length=320)),
                        ('mailbox_uuid', models.UUIDField(blank=True, null=True)),
                        ('mailbox_name', models.CharField(blank=True, default='', max_length=200)),
                        ('subscriber_id', models.BigIntegerField(blank=True, null=True)),
                        ('outgoing_mail_id', models.BigIntegerField(blank=True, null=True)),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('deadline_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('checked_at', models.DateTimeField(blank=True, null=True)),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('waiting_for', models.CharField(blank=True, default='', max_length=200)),
                        ('steps', models.JSONField(blank=True, default=list)),
                        ('failed_step', models.CharField(blank=True, default='', max_length=50)),
                        ('error', models.TextField(blank=True, default='')),
                        ('headers', models.JSONField(blank=True, default=list)),
                    ],
                    options={
                        'db_table': 'bounce_probe_runs',
                        'ordering': ['-started_at', '-id'],
                        'indexes': [models.Index(fields=['kind', 'status', 'started_at'], name='bounce_probe_kind_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'running')), fields=('kind',), name='bounce_probe_one_running')],
                    },
                ),
                migrations.CreateModel(
                    name='AlertPost',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event', models.CharField(choices=[('opened', 'Opened'), ('recovered', 'Recovered')], max_length=10)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('payload', models.JSONField(default=dict)),
                        ('attempts', models.IntegerField(default=0)),
                        ('next_try_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True, default='')),
                        ('response_status', models.IntegerField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='posts', to='monitoring.alertincident')),
                    ],
                    options={
                        'db_table': 'alert_posts',
                        'indexes': [models.Index(fields=['status', 'next_try_at'], name='alert_post_due_idx')],
                        'constraints': [models.UniqueConstraint(fields=('incident', 'event'), name='alert_post_once_per_event')],
                    },
                ),
            ],
        ),
    ]
