"""The campaign page's progress moves while mail flows, with no reload."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Delivery
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_progress_follows_the_deliveries_live(live_server, page, alice):
    campaign = Campaign.objects.create(
        name="Live", subject="Hi", body="<p>x</p>", status="running", to_send=10,
        started_at=timezone.now(),
    )  # fmt: skip
    for i in range(10):
        Delivery.objects.create(
            campaign=campaign, subscriber_id=i, email=f"s{i}@example.com",
            status="sent" if i < 2 else "queued",
        )  # fmt: skip
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    sent = page.locator('#campaign-progress [data-field="sent"]')
    assert sent.inner_text() == "2"

    Delivery.objects.filter(campaign=campaign, subscriber_id__lt=7).update(
        status="sent"
    )
    # The admin CSP forbids eval, so no wait_for_function: expect() polls.
    expect(sent).to_have_text("7", timeout=15_000)
    assert page.locator("#campaign-progress progress").get_attribute("value") == "70"
