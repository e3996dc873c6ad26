"""The admin on a phone (390 x 844): no page scrolls sideways, the nav wraps and
every nav link can be pressed, wide tables scroll inside their own box."""

from __future__ import annotations

import pytest

from bounces.models import Bounce
from campaigns.models import Campaign
from subscribers.models import MailingList, Subscriber
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
PAGES = [
    "/",
    "/subscribers/",
    "/campaigns/",
    "/bounces/",
    "/settings/",
    # Forms and the other listings, which the nav leads to as well.
    "/subscribers/new",
    "/lists/",
    "/deliverability/round-trip",
    "/settings/audit",
    "/settings/maintenance",
    "/health/status",
    "/templates/",
    "/templates/new",
]
LONG = "a-rather-long-local-part-that-does-not-wrap"


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_main_pages_fit_a_phone_and_the_nav_is_reachable(live_server, page, alice):
    # Long values are what widen a page: an address, a campaign name, a reason.
    news = MailingList.objects.create(name="Weekly news for everybody who asked")
    sub = Subscriber.objects.create(email=f"{LONG}@example.com", name="Ann Example")
    sub.lists.add(news)
    Campaign.objects.create(name="Winter sale " + "announcement " * 4, status="draft")
    Bounce.objects.create(
        subscriber=sub, type="hard", source="ses", email=sub.email,
        meta={"reason": "550 5.1.1 " + "mailbox unavailable " * 5},
    )  # fmt: skip
    base = live_server.url
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in(page, base)

    for path in PAGES:
        page.goto(base + path)
        assert page.locator("header.topbar").is_visible(), path
        assert page_width(page) <= WIDTH, f"{path} is {page_width(page)} px wide"

    # The subscribers table is wider than the phone: it scrolls in its own box.
    page.goto(base + "/subscribers/")
    table = page.locator("table").first
    inner, shown = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert inner > shown
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"

    # Every nav link is on screen (the nav wraps, nothing is cut off) and works.
    page.goto(base + "/")
    links = page.locator("header.topbar nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 10
    for href in hrefs:
        page.goto(base + "/")
        link = page.locator(f'header.topbar nav a[href="{href}"]')
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0, href
        assert box["x"] + box["width"] <= WIDTH, href
        link.click()
        page.wait_for_load_state()
        assert page.url.startswith(base + href.rstrip("/")), (href, page.url)
        assert page_width(page) <= WIDTH, f"{href} is {page_width(page)} px wide"
