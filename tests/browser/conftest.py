"""Browser fixtures: Debian's Chromium driven headless by Playwright's sync API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import ADMIN_PASSWORD

# Playwright's sync API runs an event loop in the test's thread, which trips
# Django's async-unsafe guard on plain ORM calls made by fixtures and checks.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these, Chromium keeps trying to reach
# Google's services at start and in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip without Chromium, but fail under CI=true (a skip would hide it)."""
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: missing services fail the run)")
    pytest.skip(message)


@pytest.fixture
def page():
    """A fresh headless page in a new browser."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            browser.close()
            # While Playwright's loop runs, Django (asgiref) keeps the ORM's
            # connections in a per-context store that pytest-django never closes;
            # left open, PostgreSQL refuses to drop the test database at the end.
            connections.close_all()


def log_in(page, base: str) -> None:
    """Log in as the `alice` fixture's admin and land on the dashboard."""
    page.goto(base + "/login")
    page.fill("#id_username", "alice")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
