"""AlertIncident and AlertPost now belong to the monitoring app (monitoring 0001):
they leave this app's state only; the tables and their rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0003_webhook_event_reason'),
        ('monitoring', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='alertpost',
                    name='incident',
                ),
                migrations.DeleteModel(
                    name='AlertIncident',
                ),
                migrations.DeleteModel(
                    name='AlertPost',
                ),
            ],
        ),
    ]
