"""listmonk's /subscription/{campaign_uuid}/{subscriber_uuid} and
/subscription/optin/{subscriber_uuid} links lead to stmails' own pages."""

from __future__ import annotations

import uuid

import pytest

from campaigns.models import Campaign, CampaignList
from subscribers.models import MailingList, Subscriber, Subscription

pytestmark = pytest.mark.django_db

SUB = uuid.UUID("6b1a8b3e-8c7f-4f38-9a59-2f4f3b1b9c11")
CAMP = uuid.UUID("0e6f2a7c-2b1d-4b8e-8f0a-5c3d9e1f7a22")


@pytest.fixture
def lists():
    return (
        MailingList.objects.create(name="News", type="public", optin="single"),
        MailingList.objects.create(name="Weekly", type="public", optin="double"),
        MailingList.objects.create(name="Other", type="public", optin="single"),
    )


@pytest.fixture
def ann(lists):
    ann = Subscriber.objects.create(uuid=SUB, email="ann@example.com", name="Ann")
    news, weekly, other = lists
    Subscription.objects.create(subscriber=ann, list=news, status="confirmed")
    Subscription.objects.create(subscriber=ann, list=weekly, status="unconfirmed")
    Subscription.objects.create(subscriber=ann, list=other, status="confirmed")
    return ann


@pytest.fixture
def campaign(lists):
    c = Campaign.objects.create(uuid=CAMP, name="Sent by listmonk", status="finished")
    CampaignList.objects.create(campaign=c, list=lists[0], list_name="News")
    CampaignList.objects.create(campaign=c, list=lists[1], list_name="Weekly")
    CampaignList.objects.create(campaign=c, list=None, list_name="Deleted")
    return c


def statuses(subscriber) -> dict[str, str]:
    return {
        s.list.name: s.status
        for s in Subscription.objects.filter(subscriber=subscriber).select_related(
            "list"
        )
    }


def test_get_shows_the_unsubscribe_page_and_changes_nothing(client, ann, campaign):
    r = client.get(f"/subscription/{CAMP}/{SUB}")

    assert r.status_code == 200
    html = r.content.decode()
    assert "Unsubscribe ann@example.com from:" in html
    assert "<li>News</li>" in html and "<li>Weekly</li>" in html
    assert "<li>Other</li>" not in html
    assert statuses(ann) == {
        "News": "confirmed",
        "Weekly": "unconfirmed",
        "Other": "confirmed",
    }


def test_post_unsubscribes_from_the_campaigns_lists_then_shows_the_result(
    client, ann, campaign
):
    r = client.post(f"/subscription/{CAMP}/{SUB}")

    assert r.status_code == 302
    assert r["Location"] == f"/subscription/{CAMP}/{SUB}?done=1"
    assert statuses(ann) == {
        "News": "unsubscribed",
        "Weekly": "unsubscribed",
        "Other": "confirmed",
    }
    done = client.get(r["Location"])
    assert done.status_code == 200
    assert "You are unsubscribed." in done.content.decode()


def test_list_unsubscribe_one_click_post_works_without_cookies(ann, campaign):
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post(
        f"/subscription/{CAMP}/{SUB}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert r.status_code == 200
    assert r.content == b"unsubscribed\n"
    assert statuses(ann)["News"] == "unsubscribed"
    assert statuses(ann)["Other"] == "confirmed"


def test_an_unknown_campaign_still_lets_its_recipient_unsubscribe_from_all(client, ann):
    """A campaign deleted in listmonk before the move: its mail is still out there."""
    url = f"/subscription/{uuid.uuid4()}/{SUB}"
    assert "from every list?" in client.get(url).content.decode()

    client.post(url, {"scope": "all"})

    assert set(statuses(ann).values()) == {"unsubscribed"}


@pytest.mark.parametrize(
    "path",
    [
        f"/subscription/{CAMP}/{uuid.uuid4()}",
        f"/subscription/optin/{uuid.uuid4()}",
        f"/subscription/{CAMP}/not-a-uuid",
        "/subscription/optin/not-a-uuid",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_or_malformed_uuids_get_the_404_page(
    client, ann, campaign, path, method
):
    r = getattr(client, method)(path)

    assert r.status_code == 404
    assert statuses(ann)["News"] == "confirmed"


def test_optin_get_shows_the_confirm_page_post_confirms(client, ann):
    url = f"/subscription/optin/{SUB}"

    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm subscription</button>" in page.content.decode()
    assert statuses(ann)["Weekly"] == "unconfirmed"

    r = client.post(url, {"confirm": "true"})

    assert r.status_code == 302
    assert r["Location"] == f"{url}?done=1"
    assert statuses(ann)["Weekly"] == "confirmed"
    assert "Weekly" in client.get(r["Location"]).content.decode()
