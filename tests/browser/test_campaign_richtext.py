"""A real browser: write a rich text campaign body, make a word bold, save it."""

from __future__ import annotations

import re

import pytest

from campaigns.models import Campaign
from subscribers.models import MailingList
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_saves_bold_text_from_the_rich_text_editor(live_server, page, alice):
    MailingList.objects.create(name="News")
    base = live_server.url

    log_in(page, base)

    page.goto(base + "/campaigns/new")
    page.fill("#id_name", "Rich")
    page.fill("#id_subject", "Hello")
    page.select_option("#id_content_type", "plain")
    assert page.locator("#id_body").is_visible()
    assert not page.locator("#richtext-editor").is_visible()
    page.select_option("#id_content_type", "richtext")
    assert not page.locator("#id_body").is_visible()

    editor = page.locator("#richtext-editor")
    editor.click()
    page.keyboard.type("Hello world")
    page.keyboard.press("Control+A")
    page.click(".richtext-toolbar button[data-cmd=bold]")
    page.click("form.form-card button[type=submit]")
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))

    campaign = Campaign.objects.get(name="Rich")
    assert campaign.content_type == "richtext"
    assert re.search(r"<(b|strong)>Hello world</\1>", campaign.body), campaign.body
