"""The template editor's live preview in a real browser: typing re-renders the
sandboxed frame without saving; a syntax error shows above it."""

from __future__ import annotations

import pytest

from campaigns.models import Template
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_refreshes_the_preview_without_saving(live_server, page, alice):
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base)
    page.goto(base + "/templates/new")
    page.fill("#id_name", "Live")
    page.fill(
        "#id_body",
        "<section class='live'><h1 class='brand'>Live layout</h1>{{ content }}</section>",
    )

    frame = page.frame_locator("#template-preview")
    frame.locator("h1.brand").wait_for()
    assert frame.locator("h1.brand").inner_text() == "Live layout"
    # The sample campaign sits where {{ content }} is.
    assert "A sample campaign" in frame.locator("section.live").inner_text()
    assert not Template.objects.filter(name="Live").exists()  # nothing saved

    page.fill("#id_body", "{{ content }}{% if %}")
    error = page.locator("#preview-error")
    error.wait_for(state="visible")
    assert "template error" in error.inner_text()
    # The last good preview stays.
    assert frame.locator("h1.brand").inner_text() == "Live layout"

    page.fill("#id_body", "<div id='fixed'>{{ content }}</div>")
    frame.locator("#fixed").wait_for()
    assert page.locator("#preview-error").is_hidden()
    assert errors == []


def test_the_editor_fits_a_phone(live_server, page, alice):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, base)
    page.goto(base + "/templates/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
