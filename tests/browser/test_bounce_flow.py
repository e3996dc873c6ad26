"""A real browser: change Settings → Bounces, post bounces, see the subscriber blocklisted."""

from __future__ import annotations

import json
import urllib.request

import pytest

from subscribers.models import MailingList, Subscriber, Subscription
from tests.browser.conftest import log_in
from tests.conftest import basic_auth

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_bounce(base_url: str, auth: str, payload: dict) -> tuple[int, dict]:
    # The live server's http://localhost URL, never a user-supplied one.
    request = urllib.request.Request(  # noqa: S310
        base_url + "/webhooks/bounce",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": auth},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_it_blocklists_after_two_hard_bounces(live_server, page, alice, api_user):
    sub = Subscriber.objects.create(email="bouncy@example.com", name="Bouncy")
    news = MailingList.objects.create(name="News")
    Subscription.objects.create(subscriber=sub, list=news, status="confirmed")
    base = live_server.url

    log_in(page, base)

    page.goto(base + "/settings/bounces")
    page.check("#id_enabled")
    page.check("#id_webhooks_enabled")
    page.fill("#id_hard_count", "2")
    page.select_option("#id_hard_action", "blocklist")
    page.click("#bounce-settings button[type=submit]")
    page.wait_for_selector("text=Bounce settings saved.")
    assert page.locator("#id_hard_count").input_value() == "2"

    user, token = api_user
    auth = basic_auth(user.name, token)
    for n in (1, 2):
        status, body = post_bounce(
            base,
            auth,
            {
                "email": "BOUNCY@example.com",
                "source": "api",
                "type": "hard",
                "meta": json.dumps({"attempt": n}),
            },
        )
        assert (status, body) == (200, {"data": True})

    sub.refresh_from_db()
    assert sub.status == Subscriber.Status.BLOCKLISTED

    # The Bounces page lists both, with the subscriber's new status.
    page.goto(base + "/bounces/")
    rows = page.locator("#bounce-table tbody tr")
    assert rows.count() == 2
    assert rows.first.locator(".badge.blocklisted").inner_text() == "blocklisted"
    assert page.locator('#bounce-chart strong[data-type="hard"]').inner_text() == "2"

    # The subscriber page shows the status, the badge, the history and the trace.
    page.goto(f"{base}/subscribers/{sub.pk}/")
    assert page.locator("h1 .badge.blocklisted").first.inner_text() == "blocklisted"
    assert page.locator(".bounce-badge").inner_text() == "blocklisted by bounces"
    section = page.locator("#subscriber-bounces")
    assert section.locator(".bounce-history tbody tr").count() == 2
    trace = section.locator(".bounce-actions tbody tr")
    assert trace.count() == 1
    assert "blocklist" in trace.inner_text()
    assert "2 hard bounce(s) reached the threshold of 2" in trace.inner_text()
    sub_list = Subscription.objects.get(subscriber=sub, list=news)
    assert sub_list.status == Subscription.Status.UNSUBSCRIBED
