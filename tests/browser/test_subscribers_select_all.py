""" "Select all N matching" on the subscribers page: the bulk action reaches the
subscribers beyond the 50 on screen, after a question that says how many."""

from __future__ import annotations

import pytest

from subscribers.models import Subscriber
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_select_all_matching_blocklists_every_match_after_asking(
    live_server, page, alice
):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"m{i:03}@example.com", name=f"M{i}") for i in range(60)
    )
    Subscriber.objects.create(email="other@example.org", name="Other")
    log_in(page, live_server.url)
    page.goto(live_server.url + "/subscribers/?search=example.com")

    page.select_option('select[name="action"]', "blocklist")
    page.check("[data-check-all]")
    page.click("text=Select all 60 matching")
    assert page.inner_text("[data-selected-count]") == "60 selected"
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.click("text=Apply to selected")
    page.get_by_text("60 subscriber(s) blocklisted.").wait_for()

    assert questions == [
        "Blocklist: apply to all 60 subscribers matching this filter, "
        "not only the ones on this page?"
    ]
    assert Subscriber.objects.filter(status="blocklisted").count() == 60
    assert Subscriber.objects.get(email="other@example.org").status == "enabled"
