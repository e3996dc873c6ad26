"""The PyPI `klarient-listmonk` client (0.4.0), run by tests/clients/klarient/
driver.py against a live stmails: lists, subscribers CRUD and lookups (listmonk's
`query`), list membership, blocklist, query routes, export, import, bounces.
Campaigns, templates and tx: test_klarient_campaigns.py."""

from __future__ import annotations

import pytest

from bounces.models import Bounce
from subscribers.models import Subscriber, Subscription

# About 1 s a test: a child Python process and a live server.
pytestmark = pytest.mark.slow


def ok(answer: dict) -> dict:
    assert "error" not in answer, answer
    return answer


def test_lists(klarient_run):
    answer = ok(klarient_run("lists"))
    assert answer["created"] == {
        "name": "News",
        "type": "public",
        "optin": "double",
        "tags": ["weekly"],
    }
    assert answer["updated_name"] == "News (weekly)"
    assert answer["by_query"] == ["Offers"]
    assert answer["archived"] == ["Old"]
    assert answer["every"] == ["News (weekly)", "Offers", "Old"]
    assert answer["one"]["count"] == 0
    assert answer["deleted"] == [True, True, True]
    assert answer["left"] == []


def test_subscribers_crud(klarient_run):
    answer = ok(klarient_run("subscribers_crud"))
    assert answer["created"] == {
        "email": "ann@example.com",
        "name": "Ann",
        "status": "enabled",
        "attribs": {"city": "Oslo"},
        "lists": [[answer["created"]["lists"][0][0], "confirmed"]],
    }
    assert answer["got"]["email"] == "ann@example.com"
    assert answer["put"] == {
        "email": "ann@example.org",
        "name": "Ann B",
        "attribs": {"city": "Bergen"},
    }
    # PATCH changes only what it sends.
    assert answer["patched"] == {"name": "Ann C", "attribs": {"city": "Bergen"}}
    assert answer["disabled"] == "disabled"
    assert answer["deleted"] == [True, True]
    assert answer["left"] == []
    assert not Subscriber.objects.exists()


def test_lookups_through_query(klarient_run):
    answer = ok(klarient_run("lookups"))
    assert answer["by_email"] == ["ann@example.com"]
    assert answer["by_id"] == ["ann@example.com"]
    assert answer["by_uuid"] == ["ann@example.com"]
    assert answer["by_attrib"] == ["ann@example.com"]
    # Subscriptions to single opt-in lists are confirmed (as in listmonk);
    # newest first, as asked.
    assert answer["by_list"] == ["cy@example.net", "ann@example.com"]
    assert answer["total"] == 2
    assert answer["paged"] == ["ann@example.com", "bob@example.com", "cy@example.net"]


def test_list_membership_blocklist_and_query_routes(klarient_run):
    answer = ok(klarient_run("membership_and_blocklist"))
    assert answer["results"] == [True] * 7
    after = answer["after"]
    assert set(after) == {"ann@example.com", "bob@example.com", "cy@example.com"}
    # Blocklisting unsubscribes from every list.
    for email in after:
        assert after[email]["status"] == "blocklisted"
        assert {status for _, status in after[email]["lists"]} == {"unsubscribed"}
    assert [name for name, _ in after["cy@example.com"]["lists"]] == ["News"]
    assert [name for name, _ in after["ann@example.com"]["lists"]] == ["News", "Offers"]


def test_export_bounces_and_optin_of_one_subscriber(klarient_run):
    answer = ok(klarient_run("subscriber_extras"))
    assert answer["export_profile"] == ["ann@example.com"]
    assert [s["name"] for s in answer["export_subscriptions"]] == ["News"]
    assert answer["export_subscriptions"][0]["subscription_status"] == "unconfirmed"
    assert answer["bounces"] == []
    assert answer["optin"] is True


def test_bounces_of_one_subscriber(klarient_run, make_subscriber):
    ann = make_subscriber(email="ann@example.com")
    bob = make_subscriber(email="bob@example.com")
    Bounce.objects.create(subscriber=ann, email=ann.email, type="hard", source="ses")
    Bounce.objects.create(subscriber=bob, email=bob.email, type="soft", source="api")
    answer = ok(klarient_run("subscriber_bounces", id=ann.pk))
    assert answer["before"] == [{"type": "hard", "source": "ses"}]
    assert answer["deleted"] is True
    assert answer["after"] == []
    # Only Ann's bounces went.
    assert list(Bounce.objects.values_list("email", flat=True)) == ["bob@example.com"]


def test_public_lists_and_subscription(klarient_run):
    answer = ok(klarient_run("public"))
    # Private lists are not offered publicly.
    assert answer["offered"] == [{"uuid": answer["news_uuid"], "name": "News"}]
    # The JSON body and the form (listmonk's `l` fields) both subscribe.
    assert answer["results"] == [True, True]
    subscribed = Subscription.objects.filter(list__name="News")
    assert sorted(subscribed.values_list("subscriber__email", flat=True)) == [
        "form@example.com",
        "pub@example.com",
    ]


def test_import(klarient_run):
    answer = ok(klarient_run("import_csv"))
    assert answer["upload_data"]["mode"] == "subscribe"
    assert answer["status"]["status"] == "finished"
    assert answer["status"]["imported"] == 2
    assert "imported 2" in answer["logs"]
    assert answer["imported"] == {
        "imp1@example.com": {"plan": "pro"},
        "imp2@example.com": {},
    }


@pytest.mark.xfail(
    strict=True,
    reason="klarient-listmonk 0.4.0 bug: ImportUploadResponse reads mode/delim/lists "
    "at the top level of POST /api/import/subscribers' answer, which listmonk (and "
    "stmails) wrap in {'data': ...}: they are always empty",
)
def test_import_upload_answer_read_by_the_client(klarient_run):
    answer = ok(klarient_run("import_csv"))
    assert answer["upload"]["mode"] == "subscribe"


def test_bounces(klarient_run, make_subscriber):
    ann = make_subscriber(email="ann@example.com")
    bob = make_subscriber(email="bob@example.com")
    Bounce.objects.create(subscriber=ann, email=ann.email, type="hard", source="ses")
    Bounce.objects.create(subscriber=bob, email=bob.email, type="soft", source="api")
    Bounce.objects.create(subscriber=bob, email=bob.email, type="soft", source="api")
    answer = ok(klarient_run("bounces", source="ses"))
    assert answer["count"] == 3
    assert answer["first"]["type"] in ("hard", "soft")
    assert answer["first"]["subscriber_id"] in (ann.pk, bob.pk)
    assert answer["by_source"] == 1
    assert answer["deleted"] == [True, True, True]
    assert answer["left_after_two"] == 1
    assert answer["left"] == 0
