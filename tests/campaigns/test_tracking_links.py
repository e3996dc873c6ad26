"""The per-recipient MailLinks the sender, test sends, tx and previews build."""

from __future__ import annotations

import email.utils
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import test_send, tx
from campaigns.models import Template
from campaigns.rendering import Rendered
from campaigns.sending import compose as sender_compose
from campaigns.sending import sender
from campaigns.tracking.mail_links import DUMMY_SUBSCRIBER, Tracker
from campaigns.tracking.models import Link
from stmails.config import update_settings
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import make_campaign, start, subscribe

sink = sending_helpers.sink  # the fixture

pytestmark = pytest.mark.django_db
ROOT = "https://news.example.org"
URLS = ("https://example.org/a", "https://example.org/b?x=1")


class LinkRenderer:
    """Stands in for the template renderer: asks for what {{ TrackView }},
    {{ TrackLink }} and {{ OptinURL }} would, and shows it in the body."""

    seen: list = []

    def __init__(self, **kw):
        pass

    def render(self, context):
        links = context["links"]
        LinkRenderer.seen.append(links)
        hrefs = [links.track_link(u) if links.track_link else u for u in URLS * 2]
        html = " ".join(hrefs) + f" pixel={links.view_pixel} optin={links.optin}"
        return Rendered(subject="S", html=f"<p>{html}</p>", text=html)


@pytest.fixture
def fake_renderer(monkeypatch):
    LinkRenderer.seen = []
    monkeypatch.setattr(sender_compose, "Renderer", LinkRenderer)
    monkeypatch.setattr(tx, "Renderer", LinkRenderer)
    monkeypatch.setattr(test_send, "Renderer", LinkRenderer)
    return LinkRenderer


def test_a_tracker_registers_each_url_once():
    tracker = Tracker(root=ROOT + "/", campaign_uuid="c-uuid", tracking=True)
    links = tracker.links_for("s-uuid", unsubscribe="u")

    first = links.track_link("https://example.org/a")
    with CaptureQueriesContext(connection) as queries:
        again = tracker.links_for("s-uuid", unsubscribe="u").track_link(
            "https://example.org/a"
        )
    link = Link.objects.get()
    assert first == f"{ROOT}/link/{link.uuid}/c-uuid/s-uuid"
    assert again == first
    assert len(queries) == 0  # cached: one get-or-create per URL and campaign
    assert links.view_pixel == f"{ROOT}/campaign/c-uuid/s-uuid/px.png"
    assert links.message == f"{ROOT}/campaign/c-uuid/s-uuid"


def test_only_web_urls_are_tracked():
    links = Tracker(root=ROOT, campaign_uuid="c", tracking=True).links_for(
        "s", unsubscribe=""
    )
    for url in (
        "mailto:a@example.org",
        "#top",
        "{{ x }}",
        "https://e.org/" + "a" * 2100,
    ):
        assert links.track_link(url) == url
    assert not Link.objects.exists()


def test_tracking_off_gives_no_pixel_and_no_rewriting():
    links = Tracker(root=ROOT, campaign_uuid="c", tracking=False).links_for(
        "s", unsubscribe="u"
    )
    assert (links.view_pixel, links.track_link) == ("", None)
    assert links.message == f"{ROOT}/campaign/c/s"  # "view in browser" stays


@pytest.mark.smtp
def test_the_sender_tracks_each_url_once_per_campaign(
    sink, fake_renderer, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    update_settings({"app.root_url": ROOT})
    news = make_list("News")
    people = [make_subscriber(email=f"p{i}@example.com") for i in range(3)]
    for p in people:
        subscribe(p, news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)

    with CaptureQueriesContext(connection) as queries:
        assert sender.send_campaign(campaign.pk).sent == 3

    link_queries = [
        q for q in queries if 'FROM "links"' in q["sql"] or 'INTO "links"' in q["sql"]
    ]
    assert Link.objects.count() == 2
    assert len([q for q in link_queries if q["sql"].startswith("SELECT")]) == 2
    by_uuid = {str(lnk.uuid): lnk.url for lnk in Link.objects.all()}
    for msg in sink.messages:
        to = email.utils.parseaddr(msg["To"])[1]
        sub = next(p for p in people if p.email == to)
        html = msg.get_body(("html",)).get_content()
        found = re.findall(
            rf"{ROOT}/link/([0-9a-f-]{{36}})/{campaign.uuid}/{sub.uuid}", html
        )
        assert [by_uuid[u] for u in found] == list(URLS) * 2
        assert f"pixel={ROOT}/campaign/{campaign.uuid}/{sub.uuid}/px.png" in html


@pytest.mark.smtp
def test_disable_tracking_reaches_the_renderer(
    sink, fake_renderer, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    update_settings({"privacy.disable_tracking": True})
    news = make_list("News")
    subscribe(make_subscriber(), news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)

    sender.send_campaign(campaign.pk)

    [links] = fake_renderer.seen
    assert (links.view_pixel, links.track_link) == ("", None)
    assert not Link.objects.exists()


@pytest.mark.smtp
def test_optin_url_only_for_unconfirmed_double_optin_members(
    sink, fake_renderer, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list("News")
    double = make_list("Double", optin="double")
    ann, bob = (
        make_subscriber(email="ann@example.com"),
        make_subscriber(email="bob@example.com"),
    )
    subscribe(ann, news)
    subscribe(bob, news)
    subscribe(ann, double, status="unconfirmed")
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)

    sender.send_campaign(campaign.pk)

    optin = {
        links.message.rsplit("/", 1)[1]: links.optin for links in fake_renderer.seen
    }
    assert "/subscription/optin/" in optin[str(ann.uuid)]
    assert optin[str(bob.uuid)] == ""


def test_a_test_send_tracks_under_the_dummy_subscriber(
    fake_renderer, make_list, make_subscriber
):
    ann = make_subscriber(email="ann@example.com")
    campaign = make_campaign()

    assert test_send.send_test(campaign, ["ann@example.com"]) == 1

    [links] = fake_renderer.seen
    assert links.view_pixel.endswith(
        f"/campaign/{campaign.uuid}/{DUMMY_SUBSCRIBER}/px.png"
    )
    assert links.track_link(URLS[0]).endswith(f"/{campaign.uuid}/{DUMMY_SUBSCRIBER}")
    assert str(ann.uuid) not in links.view_pixel


def test_tx_mail_is_not_tracked(fake_renderer, make_subscriber):
    make_subscriber(email="ann@example.com")

    template = Template.objects.create(
        name="Receipt", type=Template.Type.TX, subject="Hi", body="x"
    )

    tx.send_tx({"subscriber_email": "ann@example.com", "template_id": template.pk})

    [links] = fake_renderer.seen
    assert (links.view_pixel, links.track_link, links.message) == ("", None, "")
    assert "/subscription/unsubscribe/" in links.unsubscribe


def test_the_preview_tracks_nothing(client_alice):
    campaign = make_campaign(body="<p>{{ links.view_pixel }}|{{ links.message }}</p>")

    response = client_alice.get(f"/campaigns/{campaign.pk}/preview")

    assert response.status_code == 200
    assert not Link.objects.exists()
    assert f"/campaign/{campaign.uuid}/{DUMMY_SUBSCRIBER}" in response.content.decode()


def test_tx_mail_gives_the_optin_url_to_unconfirmed_members(
    fake_renderer, make_list, make_subscriber
):
    ann = make_subscriber(email="ann@example.com")
    subscribe(ann, make_list("Double", optin="double"), status="unconfirmed")
    template = Template.objects.create(name="R", type=Template.Type.TX, body="x")

    tx.send_tx({"subscriber_email": "ann@example.com", "template_id": template.pk})

    [links] = fake_renderer.seen
    assert "/subscription/optin/" in links.optin
