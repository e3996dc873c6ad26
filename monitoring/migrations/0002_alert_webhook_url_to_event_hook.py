"""Alerts reach other systems through event webhooks only: a configured
alerts.webhook_url becomes an event-webhook endpoint subscribed to alert.opened
and alert.recovered, and the alerts.webhook_url / alerts.webhook_secret values
are deleted (the keys no longer exist).

The old secret signed X-Stmails-Signature (hex HMAC of the body) and cannot
serve as a Standard Webhooks key, so the endpoint gets a new one, made and
encrypted as Settings → Event webhooks makes it; it is shown nowhere: an admin
rotates it there to read it (docs/operations/upgrading.md).
"""

from django.db import migrations

from stmails.lib import crypto, standard_webhooks

OLD_KEYS = ["alerts.webhook_url", "alerts.webhook_secret"]
NAME = "Alerts (migrated from alerts.webhook_url)"
EVENTS = ["alert.opened", "alert.recovered"]


def forward(apps, schema_editor):
    Setting = apps.get_model("stmails", "Setting")
    EventHook = apps.get_model("stmails", "EventHook")
    url = Setting.objects.filter(key=OLD_KEYS[0]).values_list("value", flat=True).first()
    if isinstance(url, str) and url.strip():
        # As EventHook.set_secret stores it (historical models have no methods).
        secret = standard_webhooks.new_secret()
        EventHook.objects.create(
            name=NAME,
            url=url.strip()[:500],
            events=EVENTS,
            enabled=True,
            secret=crypto.encrypt(secret),
            secret_hint=secret[:10],
        )
    # Reads skip stored keys the registry does not know, but a stale encrypted
    # secret should not outlive the feature that used it.
    Setting.objects.filter(key__in=OLD_KEYS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0001_initial"),
        ("stmails", "0005_event_webhooks"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
