"""A real browser: first-run admin account, log in, a list, a subscriber."""

from __future__ import annotations

import gc
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from stmails.first_run import FirstRunMiddleware
from subscribers.models import MailingList, Subscriber, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def fresh_install():
    """An install with no admin, as the live server sees it.

    The live server lives for the whole session and its FirstRunMiddleware stops
    checking once it has seen an admin (made by an earlier test), so it must be
    told that this test starts from an empty database.
    """
    assert not get_user_model().objects.exists()
    # type(), not isinstance(): the latter would evaluate Django's lazy objects.
    for obj in gc.get_objects():
        if type(obj) is FirstRunMiddleware:
            obj.ready = False
    # Failed logins are counted per address in the cache, which other tests share.
    cache.clear()


def test_it_creates_the_admin_then_a_list_and_a_subscriber(
    live_server, page, fresh_install, tmp_path
):
    base = live_server.url

    # First visit: every page leads to "create the admin account".
    page.goto(base + "/")
    page.wait_for_url(base + "/setup")
    assert page.locator("h1").inner_text() == "Create the admin account"
    page.fill("input[name=username]", "root")
    page.fill("input[name=email]", "root@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("text=Create admin account")
    page.wait_for_url(base + "/")
    assert "Your admin account is ready" in page.inner_text("main")

    admin = get_user_model().objects.get()
    assert (admin.username, admin.email, admin.is_superuser) == (
        "root",
        "root@example.com",
        True,
    )
    assert admin.check_password(PASSWORD)

    # The setup page is one-time: with an admin, it sends to the login page.
    page.click("button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/login"))
    page.goto(base + "/setup")
    page.wait_for_url(re.compile(r"/login"))

    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(base + "/")

    page.goto(base + "/lists/new")
    page.fill("input[name=name]", "Weekly news")
    page.select_option("select[name=type]", "public")
    page.select_option("select[name=optin]", "double")
    page.click("text=Create list")
    page.wait_for_url(base + "/lists/")
    assert "Weekly news" in page.inner_text("main")
    news = MailingList.objects.get()
    assert (news.name, news.type, news.optin) == ("Weekly news", "public", "double")

    page.goto(base + "/subscribers/new")
    page.fill("input[name=email]", "Ada@Example.com")
    page.fill("input[name=name]", "Ada Lovelace")
    page.check("label.check:has-text('Weekly news') input[name=lists]")
    page.click("text=Create subscriber")
    page.wait_for_url(re.compile(r"/subscribers/\d+/$"))

    page.goto(base + "/subscribers/")
    table = page.locator("main table")
    assert "ada@example.com" in table.inner_text().lower()
    assert "Ada Lovelace" in table.inner_text()

    shot = tmp_path / "first_run.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("STMAILS_SCREENSHOT_DIR"):
        page.screenshot(
            path=os.path.join(os.environ["STMAILS_SCREENSHOT_DIR"], "first_run.png"),
            full_page=True,
        )
    assert shot.stat().st_size > 0

    ada = Subscriber.objects.get()
    assert (ada.email.lower(), ada.name) == ("ada@example.com", "Ada Lovelace")
    membership = Subscription.objects.get(subscriber=ada)
    assert membership.list == news
    # A double opt-in list, not preconfirmed: the subscription awaits confirmation.
    assert membership.status == Subscription.Status.UNCONFIRMED
