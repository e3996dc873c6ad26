"""Drop alert_posts: alert POSTs are event-webhook deliveries now.

The table was created by webhooks 0002 and its state moved here by 0001
(SeparateDatabaseAndState, same db_table), so this DeleteModel drops it. Rows
still pending at upgrade are dropped with it: the POST path is gone.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0002_alert_webhook_url_to_event_hook'),
    ]

    operations = [
        migrations.DeleteModel(
            name='AlertPost',
        ),
    ]
