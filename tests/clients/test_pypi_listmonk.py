"""The PyPI `listmonk` client (0.6.32, linked from listmonk's site) against a
live stmails: login, lists, subscribers CRUD, lookups (by email, id and uuid
through listmonk's `query`), list membership, status changes and blocklisting.
Campaigns, templates and tx: test_pypi_listmonk_campaigns.py."""

from __future__ import annotations

import pytest

from subscribers.models import MailingList, Subscriber, Subscription

# A live server per test (about 0.5 s each).
pytestmark = pytest.mark.slow


def test_login_checks_the_credentials(pypi_listmonk, live_api):
    assert pypi_listmonk.is_healthy() is True
    assert pypi_listmonk.verify_login() is True
    # login() answers False (it never raises) to wrong credentials.
    assert pypi_listmonk.login(live_api.username, "not-the-token") is False
    assert pypi_listmonk.login(live_api.username, live_api.token) is True


def test_lists(pypi_listmonk):
    news = pypi_listmonk.create_list(
        "News", list_type="public", optin="double", tags=["weekly"], description="d"
    )
    offers = pypi_listmonk.create_list("Offers", list_type="private")
    assert (news.name, news.type, news.optin, news.tags) == (
        "News",
        "public",
        "double",
        ["weekly"],
    )
    assert news.subscriber_count == 0
    assert sorted(lst.name for lst in pypi_listmonk.lists()) == ["News", "Offers"]
    assert pypi_listmonk.list_by_id(offers.id).uuid == offers.uuid
    updated = pypi_listmonk.update_list(
        news.id, list_name="News (weekly)", status="archived", description="weekly"
    )
    assert (updated.name, updated.description) == ("News (weekly)", "weekly")
    assert MailingList.objects.get(pk=news.id).status == "archived"
    assert pypi_listmonk.delete_list(offers.id) is True
    assert [lst.name for lst in pypi_listmonk.lists()] == ["News (weekly)"]


def test_subscriber_crud_and_lookups(pypi_listmonk):
    news = pypi_listmonk.create_list("News", optin="single")
    ann = pypi_listmonk.create_subscriber(
        " Ann+News@Example.com ",
        "Ann",
        {news.id},
        pre_confirm=True,
        attribs={"city": "Oslo"},
    )
    pypi_listmonk.create_subscriber(
        "bob@example.com", "Bob", attribs={"city": "Bergen"}
    )
    assert (ann.email, ann.name, ann.status) == (
        "ann+news@example.com",
        "Ann",
        "enabled",
    )
    assert [lst["subscription_status"] for lst in ann.lists] == ["confirmed"]
    # The lookups are listmonk `query` expressions (a '+' in the address too).
    assert pypi_listmonk.subscriber_by_email("ann+news@example.com").id == ann.id
    assert pypi_listmonk.subscriber_by_id(ann.id).email == ann.email
    assert pypi_listmonk.subscriber_by_uuid(ann.uuid).id == ann.id
    assert pypi_listmonk.subscriber_by_email("nobody@example.com") is None
    assert sorted(s.email for s in pypi_listmonk.subscribers()) == [
        "ann+news@example.com",
        "bob@example.com",
    ]
    oslo = pypi_listmonk.subscribers(query_text="subscribers.attribs->>'city' = 'Oslo'")
    assert [s.id for s in oslo] == [ann.id]
    assert [s.id for s in pypi_listmonk.subscribers(list_id=news.id)] == [ann.id]
    assert pypi_listmonk.delete_subscriber("Ann+News@example.com") is True
    assert pypi_listmonk.delete_subscriber("nobody@example.com") is False
    bob = pypi_listmonk.subscriber_by_email("bob@example.com")
    assert pypi_listmonk.delete_subscriber(overriding_subscriber_id=bob.id) is True
    assert not Subscriber.objects.exists()


def test_update_and_status_changes_read_the_subscriber_back(pypi_listmonk):
    news = pypi_listmonk.create_list("News")
    offers = pypi_listmonk.create_list("Offers")
    ann = pypi_listmonk.create_subscriber("ann@example.com", "Ann", {news.id})
    ann.name = "Ann B"
    ann.attribs = {"plan": "pro"}
    updated = pypi_listmonk.update_subscriber(
        ann, add_to_lists={offers.id}, remove_from_lists={news.id}
    )
    assert (updated.name, updated.attribs) == ("Ann B", {"plan": "pro"})
    assert [(lst["name"], lst["subscription_status"]) for lst in updated.lists] == [
        ("Offers", "confirmed")
    ]
    assert pypi_listmonk.disable_subscriber(updated).status == "disabled"
    assert pypi_listmonk.enable_subscriber(updated).status == "enabled"
    blocked = pypi_listmonk.block_subscriber(updated)
    assert blocked.status == "blocklisted"
    # Blocklisting unsubscribes from every list, as in listmonk.
    assert set(
        Subscription.objects.filter(subscriber_id=ann.id).values_list(
            "status", flat=True
        )
    ) == {"unsubscribed"}


def test_add_subscribers_to_lists(pypi_listmonk):
    news = pypi_listmonk.create_list("News", optin="double")
    ann = pypi_listmonk.create_subscriber("ann@example.com", "Ann")
    bob = pypi_listmonk.create_subscriber("bob@example.com", "Bob")
    assert pypi_listmonk.add_subscribers_to_lists([ann.id, bob.id], [news.id]) is True
    statuses = Subscription.objects.filter(list_id=news.id).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == ["confirmed", "confirmed"]
    # Nothing to add is answered False by the client itself (no request).
    assert pypi_listmonk.add_subscribers_to_lists([], [news.id]) is False


def test_confirm_optin_by_uuid(pypi_listmonk):
    # confirm_optin() posts listmonk's public opt-in form with the bare
    # subscriber uuid (/subscription/optin/<uuid>), the link shape of mail
    # listmonk sent, which stmails keeps for people moving from listmonk.
    news = pypi_listmonk.create_list("News", optin="double")
    ann = pypi_listmonk.create_subscriber("ann@example.com", "Ann", {news.id})
    assert [lst["subscription_status"] for lst in ann.lists] == ["unconfirmed"]
    assert pypi_listmonk.confirm_optin(ann.uuid, news.uuid) is True
    again = pypi_listmonk.subscriber_by_email("ann@example.com")
    assert [lst["subscription_status"] for lst in again.lists] == ["confirmed"]
