"""A real browser on the dashboard: flow numbers, a failed source, the period, the SVG."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.models import Bounce, MailboxScan
from campaigns.models import Campaign, Delivery
from stmails.config import update_settings
from subscribers.models import Subscriber
from tests.browser.conftest import log_in
from tests.conftest import basic_auth

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOX_UUID = "6f1c0a52-52a4-4f43-9a4a-0c3cbbf1d001"


def post_bounce(base_url: str, auth: str, payload: dict) -> int:
    # The live server's http://localhost URL, never a user-supplied one.
    request = urllib.request.Request(  # noqa: S310
        base_url + "/webhooks/bounce",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": auth},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_it_shows_the_flow_a_failed_source_and_follows_the_period(
    live_server, page, alice, api_user
):
    base = live_server.url
    now = timezone.now()
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.webhooks_enabled": True,
            "bounce.mailboxes": [
                {"uuid": BOX_UUID, "name": "Main box", "type": "imap",
                 "host": "mail.example.test", "username": "bounces"}
            ],
        }
    )  # fmt: skip
    MailboxScan.objects.create(
        mailbox_uuid=uuid.UUID(BOX_UUID), mailbox_name="Main box", status="failed",
        error="connection refused", started_at=now - timedelta(minutes=4),
        heartbeat_at=now - timedelta(minutes=4), finished_at=now - timedelta(minutes=4),
    )  # fmt: skip
    sub = Subscriber.objects.create(email="bouncy@example.com", name="Bouncy")
    news = Campaign.objects.create(name="Weekly news", status="finished", sent=40)
    for i in range(4):
        Delivery.objects.create(
            campaign=news, subscriber_id=100 + i, email=f"r{i}@example.com",
            status="sent", sent_at=now - timedelta(hours=i + 1),
        )  # fmt: skip
    user, token = api_user
    auth = basic_auth(user.name, token)
    for btype in ("hard", "soft"):
        payload = {"email": sub.email, "source": "api", "type": btype,
                   "campaign_uuid": str(news.uuid)}  # fmt: skip
        assert post_bounce(base, auth, payload) == 200
    # An older bounce: in the last 30 days, not in the last 7.
    Bounce.objects.create(
        subscriber=sub, type="complaint", source="ses", email=sub.email,
        created_at=now - timedelta(days=12),
    )  # fmt: skip

    log_in(page, base)

    # The default period: the last 7 days.
    assert page.locator("nav.periods a.active").inner_text() == "last 7 days"
    assert page.locator("#total-sent").inner_text() == "4"
    assert page.locator("#total-bounces").inner_text() == "2"
    api = page.locator('#flow-sources tr[data-source="api:api"]')
    assert api.locator('[data-col="hard"]').inner_text() == "1"
    assert api.locator('[data-col="soft"]').inner_text() == "1"
    campaign = page.locator(f'#flow-campaigns tr[data-campaign="{news.pk}"]')
    assert "Weekly news" in campaign.inner_text()
    assert campaign.locator('[data-col="bounce-rate"]').inner_text() == "5.00 %"

    # The failed mailbox scan is a red card, in words.
    card = page.locator('#source-states li[data-kind="mailbox"][data-name="Main box"]')
    assert "bad" in card.get_attribute("class").split()
    assert card.locator(".level").inner_text().lower() == "problem"
    assert card.locator(".text").inner_text() == (
        "last scan 4 min ago failed: connection refused"
    )
    worker = page.locator('#source-states li[data-kind="worker"]')
    assert worker.locator("strong").inner_text() == "Celery worker"
    assert worker.locator(".text").inner_text() == "never seen (no heartbeat yet)"

    # The picture: one bar per stage, parts with their numbers, arrows between.
    svg = page.locator("svg#flow-picture")
    assert svg.is_visible()
    assert svg.locator("g.stage").count() == 5
    types = svg.locator('g.stage[data-stage="types"]')
    assert types.locator('rect[data-segment="hard"]').get_attribute("data-n") == "1"
    assert types.locator('rect[data-segment="soft"]').get_attribute("data-n") == "1"
    assert types.locator(".stage-total").inner_html() == "2"
    sent = svg.locator('g.stage[data-stage="sent"]')
    assert sent.locator('rect[data-segment="campaign"]').get_attribute("data-n") == "4"
    assert sent.locator("rect.segment").first.bounding_box()["width"] > 100
    # The default rules blocklist after one hard bounce.
    actions = svg.locator('g.stage[data-stage="actions"]')
    assert (
        actions.locator('rect[data-segment="blocklisted"]').get_attribute("data-n")
        == "1"
    )
    assert (
        page.locator('#flow-actions tr[data-row="blocklisted"] td.num').inner_text()
        == "1"
    )
    assert svg.locator("line.arrow").count() == 4
    assert page.locator("#daily-bounces rect.bar").count() >= 2
    assert page.locator('#daily-bounces [data-series="hard"]').inner_text() == "1"

    # A longer period brings the older complaint in.
    page.click('nav.periods a[data-period="30d"]')
    page.wait_for_url(re.compile(r"period=30d"))
    assert page.locator("#total-bounces").inner_text() == "3"
    ses = page.locator('#flow-sources tr[data-source="provider:ses"]')
    assert ses.locator('[data-col="complaint"]').inner_text() == "1"
    assert page.locator("h2", has_text="Mail flow").inner_text() == (
        "Mail flow, last 30 days"
    )

    # Custom dates: only the day of the complaint.
    day = timezone.localdate(now - timedelta(days=12)).isoformat()
    page.fill("#id_from", day)
    page.fill("#id_to", day)
    page.click("#period-form button[type=submit]")
    page.wait_for_url(re.compile(r"from=" + day))
    assert page.locator("#total-bounces").inner_text() == "1"
    assert page.locator("#total-sent").inner_text() == "0"
    assert svg.locator('g.stage[data-stage="actions"] rect.empty').count() == 1

    # A date the calendar does not have: an error beside the field, no crash.
    page.goto(base + "/?from=2026-02-30")
    assert page.locator("#id_from-error").inner_text() == "Enter a valid date."
    assert page.locator("#total-bounces").inner_text() == "2"
