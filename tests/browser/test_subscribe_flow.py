"""A real browser subscribes on the public form, a real SMTP server receives the
confirmation mail, and the link in that mail confirms the subscription."""

from __future__ import annotations

import time

import pytest

from stmails.config import update_settings
from subscribers.models import MailingList, Subscription
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers
from tests.subscribers.subscription.optin_helpers import LINK

pytestmark = [
    pytest.mark.browser,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


def wait_for_mail(sink: Sink, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not sink.messages:
        if time.monotonic() > deadline:
            pytest.fail("no confirmation mail reached the SMTP server")
        time.sleep(0.05)
    return sink.messages[0]


def test_it_subscribes_receives_and_confirms(live_server, page, sink):
    weekly = MailingList.objects.create(name="Weekly", type="public", optin="double")
    MailingList.objects.create(name="Hidden", type="private", optin="double")
    # Links in the mail must point at this test server.
    update_settings({"app.root_url": live_server.url})

    page.goto(live_server.url + "/subscription/form")
    assert page.locator("text=Hidden").count() == 0
    page.fill("#id_email", "ann@example.com")
    page.fill("#id_name", "Ann")
    page.check(f"input[name=l][value='{weekly.uuid}']")
    page.click("#subscribe-form button[type=submit]")
    page.wait_for_selector("#subscribe-result")
    # One answer for every address (issue 14 item 6): it names no list state.
    assert "a link is on its way" in page.inner_text("#subscribe-result")

    msg = wait_for_mail(sink)
    assert msg["To"] == "ann@example.com"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = LINK.search(msg.get_content()).group(0)
    assert link.startswith(live_server.url + "/subscription/optin/")

    page.goto(link)
    # Opening the link alone confirms nothing (link scanners open links too).
    page.wait_for_selector("#optin-form")
    sub = Subscription.objects.get(subscriber__email="ann@example.com", list=weekly)
    assert sub.status == "unconfirmed"
    page.click("#optin-form button[type=submit]")
    page.wait_for_selector("#optin-result")
    assert "is confirmed" in page.inner_text("#optin-result")

    sub.refresh_from_db()
    assert sub.status == "confirmed"
