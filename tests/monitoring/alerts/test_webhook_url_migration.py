"""monitoring 0002: a configured alerts.webhook_url becomes an event-webhook
endpoint for the alert events, and the old keys' stored values go."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from standardwebhooks import Webhook

from stmails import config
from stmails.lib import crypto
from stmails.models import EventHook, Setting

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("monitoring", "0001_initial")]
AFTER = [("monitoring", "0002_alert_webhook_url_to_event_hook")]
OLD_KEYS = {"alerts.webhook_url", "alerts.webhook_secret"}


@pytest.fixture
def migrate():
    """Migrate monitoring back to 0001, let the test store settings as they
    were, then run 0002; the database ends at the latest state again."""

    def to(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    to(BEFORE)
    yield lambda: to(AFTER)
    to(MigrationExecutor(connection).loader.graph.leaf_nodes())


def store(**values):
    # Raw rows, as main stored them: the registry no longer knows these keys.
    for key, value in values.items():
        Setting.objects.create(key=key, value=value)


def test_a_configured_url_becomes_an_alert_endpoint(migrate):
    store(
        **{
            "alerts.webhook_url": "https://hooks.example.com/alerts",
            "alerts.webhook_secret": crypto.encrypt("old-hmac-secret"),
            "alerts.emails": ["ops@example.com"],
        }
    )
    migrate()
    [hook] = EventHook.objects.all()
    assert hook.url == "https://hooks.example.com/alerts"
    assert hook.events == ["alert.opened", "alert.recovered"]
    assert hook.enabled and "migrated from alerts.webhook_url" in hook.name
    # A new Standard Webhooks secret, encrypted at rest, not the old HMAC one.
    assert hook.secret.startswith(crypto.PREFIX)
    [secret] = hook.signing_secrets(now=hook.created_at)
    assert secret.startswith("whsec_") and secret.startswith(hook.secret_hint)
    Webhook(secret)  # the receivers' library takes it
    assert not Setting.objects.filter(key__in=OLD_KEYS).exists()
    assert config.get_value("alerts.emails") == ["ops@example.com"]


@pytest.mark.parametrize(
    "stored", [{}, {"alerts.webhook_url": ""}, {"alerts.webhook_secret": ""}]
)
def test_no_url_makes_no_endpoint(migrate, stored):
    store(**stored)
    migrate()
    assert not EventHook.objects.exists()
    assert not Setting.objects.filter(key__in=OLD_KEYS).exists()
