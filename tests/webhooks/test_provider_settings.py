"""Settings → Bounces → Provider webhooks and the webhook events page."""

from __future__ import annotations

import pytest

from stmails.config import get_masked_settings, get_value, update_settings
from webhooks import services
from webhooks.models import WebhookEvent
from webhooks.providers.base import ProviderEvent

from .conftest import sendgrid_keys

URL = "/settings/bounces/providers"


def test_it_lists_every_provider_with_its_endpoint(client_alice):
    response = client_alice.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for slug in ("ses", "sendgrid", "postmark", "forwardemail", "sendamatic"):
        assert f'id="provider-{slug}"' in html
        assert f"/webhooks/service/{slug}</code>" in html
    # Custom providers are one click away, not a URL to guess.
    assert 'href="/settings/bounces/providers/custom/new" id="custom-endpoints"' in html


def test_it_needs_a_login(client, alice):
    assert client.get(URL).status_code == 302


def test_it_saves_credentials_encrypted_and_never_shows_them(client_alice):
    response = client_alice.post(
        URL,
        {
            "provider": "postmark",
            "postmark-enabled": "on",
            "postmark-username": "pm",
            "postmark-password": "hunter2-secret",
        },
    )
    assert response.status_code == 302
    assert get_value("bounce.postmark")["password"] == "hunter2-secret"
    from stmails.models import Setting

    assert "hunter2" not in str(Setting.objects.get(key="bounce.postmark").value)
    assert "hunter2" not in client_alice.get(URL).content.decode()

    # An empty secret keeps the stored one.
    client_alice.post(
        URL,
        {"provider": "postmark", "postmark-enabled": "on", "postmark-username": "pm2"},
    )
    value = get_value("bounce.postmark")
    assert (value["username"], value["password"]) == ("pm2", "hunter2-secret")


def test_it_saves_sendgrid_and_shows_a_bad_key_beside_the_field(client_alice):
    response = client_alice.post(
        URL,
        {"provider": "sendgrid", "sendgrid-enabled": "on", "sendgrid-key": "bm9wZQ=="},
    )
    assert response.status_code == 400
    assert 'id="id_sendgrid-key-error"' in response.content.decode()
    response = client_alice.post(
        URL,
        {
            "provider": "sendgrid",
            "sendgrid-enabled": "on",
            "sendgrid-key": sendgrid_keys()[1],
        },
    )
    assert response.status_code == 302
    assert get_masked_settings()["bounce.sendgrid_key"] == "\u2022" * 8


def test_it_saves_ses_topics_and_arms_the_next_subscription(client_alice):
    topic = "arn:aws:sns:us-east-1:123456789012:ses-bounces"
    response = client_alice.post(
        URL, {"provider": "ses", "ses-enabled": "on", "ses-topic_arns": f"{topic}\n\n"}
    )
    assert response.status_code == 302
    assert get_value("bounce.ses_topic_arns") == [topic]
    bad = client_alice.post(URL, {"provider": "ses", "ses-topic_arns": "nope"})
    assert bad.status_code == 400
    assert "SNS topic ARN" in bad.content.decode()

    client_alice.post("/settings/bounces/providers/ses-arm", {"arm": "1"})
    assert get_value("bounce.ses_accept_next_subscription") is True
    assert "Armed" in client_alice.get(URL).content.decode()
    client_alice.post("/settings/bounces/providers/ses-arm", {"arm": "0"})
    assert get_value("bounce.ses_accept_next_subscription") is False


def test_it_lists_events_and_reruns_a_failed_one(client_alice, make_subscriber):
    update_settings({"bounce.enabled": True})
    stored = services.store_events(
        "postmark",
        [ProviderEvent(email="late@example.com", type="hard", event_key="k1")],
        {},
    )
    services.process_event(stored.new_ids[0])  # unknown subscriber: ignored, error kept
    page = client_alice.get("/settings/bounces/webhook-events?provider=postmark")
    html = page.content.decode()
    assert "late@example.com" in html and "not found" in html and "Re-run" in html

    make_subscriber("late@example.com")
    event_id = WebhookEvent.objects.get().id
    response = client_alice.post(
        f"/settings/bounces/webhook-events/{event_id}/rerun", {"provider": "postmark"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?provider=postmark")
    assert WebhookEvent.objects.get().status == "processed"


@pytest.mark.parametrize("query", ["", "?status=failed", "?provider=nope&page=9"])
def test_the_events_page_renders_with_any_filter(client_alice, query):
    assert (
        client_alice.get(f"/settings/bounces/webhook-events{query}").status_code == 200
    )
