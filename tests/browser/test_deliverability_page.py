"""The deliverability page in Chromium: Check now shows a card per domain."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from stmails import config
from stmails.lib import dns_resolver
from tests.browser.conftest import log_in
from tests.monitoring.deliverability.fakes import FakeResolver, good_zone

pytestmark = pytest.mark.browser


@pytest.fixture
def fake_dns():
    # The live server runs in a thread of this process: the module-level
    # override reaches it.
    zone = good_zone(**{"_dmarc.example.com": None})
    resolver = FakeResolver(txt=zone, mx={"example.com": [(10, "mx.example.com")]})
    previous = dns_resolver.set_resolver(resolver)
    yield resolver
    dns_resolver.set_resolver(previous)


def test_it_checks_and_opens_the_failing_checks(live_server, page, alice, fake_dns):
    config.update_settings(
        {
            "app.from_email": "news@example.com",
            "deliverability.dkim_selectors": ["s1"],
        }
    )
    base = live_server.url
    log_in(page, base)

    page.click("text=Deliverability")
    page.wait_for_url(base + "/deliverability")
    page.click("#check-now")
    page.wait_for_url(base + "/deliverability?check=1")

    card = page.locator("#domain-example\\.com")
    expect(card).to_have_class("card domain-card sev-error")
    dmarc = card.locator("details[data-check=DMARC]")
    expect(dmarc.locator("text=No DMARC record")).to_be_visible()
    # Passing checks stay folded; the failing one is open.
    expect(card.locator("details[data-check=SPF] .findings")).to_be_hidden()
    if os.environ.get("STMAILS_SCREENSHOT"):
        page.screenshot(path=os.environ["STMAILS_SCREENSHOT"], full_page=True)
