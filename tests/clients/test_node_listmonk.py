"""The npm `listmonk` client (1.0.2, axios) run by Node against a live stmails:
its whole API is lists (create, list all), subscribers (create, add to lists)
and transactional mail (test_node_listmonk_campaigns.py)."""

from __future__ import annotations

import pytest

from subscribers.models import MailingList, Subscriber, Subscription

# A Node process and a live server per test (about 1 s each).
pytestmark = pytest.mark.slow


def test_lists(node_run):
    answer = node_run("lists", name="News")
    created = answer["created"]
    assert created["status"] == 200, created
    # Only the name is sent: listmonk's defaults (private, single opt-in) apply.
    assert {k: created["data"]["data"][k] for k in ("name", "type", "optin")} == {
        "name": "News",
        "type": "private",
        "optin": "single",
    }
    listed = answer["listed"]
    assert listed["status"] == 200, listed
    # per_page=all: every list on one page.
    assert [lst["name"] for lst in listed["data"]["data"]["results"]] == ["News"]
    assert listed["data"]["data"]["total"] == 1
    assert MailingList.objects.get().name == "News"


def test_subscribers(node_run, make_list):
    news = make_list("News", optin="double")
    answer = node_run(
        "subscribers",
        email="ann@example.com",
        other_email="bob@example.com",
        name="Ann",
        lists=[news.pk],
        attribs={"city": "Oslo"},
    )
    created = answer["created"]
    assert created["status"] == 200, created
    ann = created["data"]["data"]
    assert (ann["email"], ann["status"], ann["attribs"]) == (
        "ann@example.com",
        "enabled",
        {"city": "Oslo"},
    )
    # Without preconfirm_subscriptions a double opt-in subscription waits.
    assert [s["subscription_status"] for s in ann["lists"]] == ["unconfirmed"]
    assert answer["plain"]["status"] == 200
    # listmonk answers a duplicate address 409, with a message.
    assert answer["duplicate"]["status"] == 409
    assert "message" in answer["duplicate"]["data"]
    assert answer["added"] == {"status": 200, "data": {"data": True}}
    bob = Subscriber.objects.get(email="bob@example.com")
    assert Subscription.objects.get(subscriber=bob, list=news).status == "confirmed"


def test_wrong_credentials_are_refused(node_run):
    listed = node_run("bad_login")["listed"]
    assert listed["status"] == 401
    assert listed["data"] == {"message": "invalid API credentials"}
