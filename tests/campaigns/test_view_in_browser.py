"""listmonk's "view in browser": GET /campaign/{campaign_uuid}/{subscriber_uuid}."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Template
from campaigns.services import create_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]


@pytest.fixture
def ann(make_subscriber):
    return make_subscriber(
        email="ann@example.com", name="Ann", attribs={"city": "Oslo"}
    )


@pytest.fixture
def campaign(make_list):
    lst = make_list("News")
    c = create_campaign({
        "name": "Spring", "subject": "Hi", "content_type": "html", "lists": [lst.id],
        "body": "<p>Hello {{ subscriber.name }} from {{ subscriber.attribs.city }}</p>",
    })  # fmt: skip
    Campaign.objects.filter(pk=c.pk).update(status="finished")
    return c


def url(c, s) -> str:
    return reverse("campaign-message", args=[str(c), str(s)])


def test_it_renders_the_campaign_for_that_subscriber(client, alice, campaign, ann):
    r = client.get(url(campaign.uuid, ann.uuid))  # no login: it is the subscriber's
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert "<p>Hello Ann from Oslo</p>" in html
    assert "/subscription/unsubscribe/" in html and "Manage preferences" in html
    assert "View in browser" not in html  # no link to itself
    assert r["Cache-Control"] == "private, no-store"


def test_the_route_is_listmonks_path(campaign, ann):
    assert url(campaign.uuid, ann.uuid) == f"/campaign/{campaign.uuid}/{ann.uuid}"


@pytest.mark.parametrize(
    ("c", "s"),
    [
        ("campaign", uuid.uuid4()),
        (uuid.uuid4(), "ann"),
        ("not-a-uuid", "ann"),
        ("campaign", "zzz"),
        ("x" * 500, "y" * 500),
    ],
)
def test_unknown_or_malformed_uuids_are_a_404_page(client, alice, campaign, ann, c, s):
    c = campaign.uuid if c == "campaign" else c
    s = ann.uuid if s == "ann" else s
    r = client.get(f"/campaign/{c}/{s}")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")


def test_a_campaign_that_no_longer_renders_is_a_404_not_a_500(
    client, alice, campaign, ann
):
    Campaign.objects.filter(pk=campaign.pk).update(body="{% if %}")
    assert client.get(url(campaign.uuid, ann.uuid)).status_code == 404


def test_a_campaign_without_template_renders_its_body(client, alice, campaign, ann):
    Campaign.objects.filter(pk=campaign.pk).update(template=None)
    html = client.get(url(campaign.uuid, ann.uuid)).content.decode()
    assert html.strip() == "<p>Hello Ann from Oslo</p>"


def test_the_default_template_links_to_it_when_the_sender_gives_the_link():
    """The tracking side fills MailLinks.message; the shipped layout shows it."""
    from campaigns.rendering import MailLinks, Renderer, build_context

    body = Template.objects.get(is_default=True).body
    html = (
        Renderer(content_type="html", body="x", template_body=body)
        .render(
            build_context({}, {}, links=MailLinks(message="https://s/campaign/c/s"))
        )
        .html
    )
    assert '<a href="https://s/campaign/c/s"' in html


def test_a_test_sends_link_shows_a_sample_copy(client, alice, campaign):
    """Test sends link the all-zero dummy subscriber, as listmonk's do."""
    r = client.get(f"/campaign/{campaign.uuid}/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 200
    assert b"<p>Hello Test Subscriber from </p>" in r.content


def test_the_sender_links_here(campaign, ann):
    """The tracking side builds MailLinks.message with this route's shape."""
    from campaigns.tracking.mail_links import Tracker

    links = Tracker(
        root="https://s.example", campaign_uuid=str(campaign.uuid), tracking=False
    ).links_for(str(ann.uuid), unsubscribe="u")
    assert links.message == "https://s.example" + url(campaign.uuid, ann.uuid)
