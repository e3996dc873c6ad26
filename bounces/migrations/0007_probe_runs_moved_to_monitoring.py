"""ProbeRun now belongs to the monitoring app (monitoring 0001): it leaves this
app's state only; the table bounce_probe_runs and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('bounces', '0006_unmatched_every_source'),
        ('monitoring', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(
                    name='ProbeRun',
                ),
            ],
        ),
    ]
