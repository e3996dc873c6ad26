"""A real browser: stored text cannot run script on admin pages (issue 14 item 1)."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from campaigns.services import create_campaign
from subscribers.models import MailingList
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = (
    "<script>window.__pwned = 1; document.title = 'pwned'</script>"
    '<img src=x onerror="window.__pwned = 2">'
)


def test_a_script_in_a_plain_text_body_does_not_run_in_the_preview(
    live_server, page, alice
):
    lst = MailingList.objects.create(name="News")
    campaign = create_campaign(
        {
            "name": "Plain",
            "subject": "Hi",
            "lists": [lst.id],
            "content_type": "plain",
            "body": "Hello " + PAYLOAD,
        }
    )
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base)

    page.goto(f"{base}/campaigns/{campaign.pk}/preview")
    page.wait_for_load_state("load")

    assert page.evaluate("window.__pwned") is None
    assert page.title() != "pwned"
    # Shown as the text it is.
    assert "<script>window.__pwned = 1;" in page.inner_text("pre.preview-text")
    assert errors == []


def test_confirmations_still_work_without_inline_handlers(live_server, page, alice):
    """Delete buttons ask first (confirm.js reads data-confirm; CSP blocks onsubmit)."""
    MailingList.objects.create(name="Keep me")
    base = live_server.url
    log_in(page, base)
    page.goto(base + "/lists/")

    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("form[data-confirm] button[type=submit]").first.click()
    assert asked and "Keep me" in asked[0]
    page.goto(base + "/lists/")
    assert MailingList.objects.filter(name="Keep me").exists()


def test_the_rich_text_editor_keeps_stored_handlers_out_of_the_page(
    live_server, page, alice
):
    """A body saved through the API is loaded into the editor without its
    on* handlers or scripts (and the policy would block them anyway)."""
    lst = MailingList.objects.create(name="News")
    campaign = create_campaign(
        {
            "name": "Rich",
            "subject": "Hi",
            "lists": [lst.id],
            "content_type": "html",
            "body": "<p>Hi</p>" + PAYLOAD + '<a href="javascript:void(0)">x</a>',
        }
    )
    Campaign.objects.filter(pk=campaign.pk).update(content_type="richtext")
    base = live_server.url
    log_in(page, base)
    page.goto(f"{base}/campaigns/{campaign.pk}/edit")
    editor = page.locator("#richtext-editor")
    assert "Hi" in editor.inner_text()
    assert editor.locator("script").count() == 0
    assert editor.locator("img").get_attribute("onerror") is None
    assert editor.locator("a").get_attribute("href") is None
    assert page.evaluate("window.__pwned") is None
