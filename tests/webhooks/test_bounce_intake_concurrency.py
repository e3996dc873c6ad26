"""POST /webhooks/bounce under concurrent load: every 200 a stored event, one bounce each.

Threads post at once (some with the same event id, as a retrying script would),
on PostgreSQL with real transactions; then the worker's processing runs twice,
as a redelivered task would. Each distinct event gives exactly one bounce.
"""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.db import connection
from django.test import Client

from bounces.models import Bounce
from stmails.config import update_settings
from tests.conftest import require_service
from webhooks import services
from webhooks.intake import GENERIC
from webhooks.models import WebhookEvent


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_store_each_event_once_and_record_it_once(
    api_user, make_subscriber, settings, monkeypatch
):
    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the race needs PostgreSQL (CI=true: no skipping)")
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[list[int]] = []
    monkeypatch.setattr(
        "stmails.durable_queue.send_task",
        lambda name, **kw: sent.append(kw["event_ids"]),
    )
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    make_subscriber("a@example.com")
    user, token = api_user
    threads_n = 24
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(i: int) -> None:
        from django.db import connections

        try:
            client = Client(HTTP_AUTHORIZATION=f"token {user.name}:{token}")
            body = {"email": "a@example.com", "source": "api", "type": "soft"}
            body["event_id"] = f"evt-{i % 8}"  # 8 events, each posted 3 times
            barrier.wait()
            r = client.post(
                "/webhooks/bounce", json.dumps(body), content_type="application/json"
            )
            statuses.append(r.status_code)
        except BaseException as e:  # noqa: BLE001 (reported by the assertion below)
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert statuses == [200] * threads_n
    events = WebhookEvent.objects.filter(provider=GENERIC)
    assert events.count() == 8
    from webhooks.intake import events_sender

    events_sender.flush()
    handed_on = sorted(i for group in sent for i in group)
    assert handed_on == sorted(events.values_list("id", flat=True))
    # The task runs twice (a redelivery): nothing is recorded twice.
    services.process_events(handed_on)
    services.process_events(handed_on)
    assert set(events.values_list("status", flat=True)) == {"processed"}
    keys = sorted(Bounce.objects.values_list("event_key", flat=True))
    assert keys == [f"webhook:evt-{i}" for i in range(8)]
