"""listmonk's opt-in campaigns: to the unconfirmed members of double opt-in
lists, with {{ OptinURL }}, and a default body when none is given."""

from __future__ import annotations

import email.utils
import json
import re

import pytest

from campaigns.models import Campaign
from campaigns.sending import sender
from subscribers.links import read_optin_token
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import make_campaign, recipients, start, subscribe

sink = sending_helpers.sink  # the fixture

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post(
        "/api/campaigns", data=json.dumps(body), content_type="application/json"
    )


def test_an_optin_campaign_without_a_body_gets_the_default_message(
    api_client, make_list
):
    double = make_list("Weekly <news>", optin="double")
    single = make_list("Single", optin="single")
    r = post(
        api_client,
        {"name": "Confirm", "subject": "Please confirm", "type": "optin",
         "lists": [double.id, single.id]},
    )  # fmt: skip
    assert r.status_code == 200, r.json()
    data = r.json()["data"]
    assert data["type"] == "optin"
    assert "{{ OptinURL }}" in data["body"]
    assert "<li>Weekly &lt;news&gt;</li>" in data["body"]
    assert "Single" not in data["body"]  # only double opt-in lists are named


def test_an_optin_campaign_keeps_a_given_body(api_client, make_list):
    double = make_list("Weekly", optin="double")
    body = '<p><a href="{{ OptinURL }}">Yes please</a></p>'
    r = post(
        api_client,
        {"name": "C", "subject": "S", "type": "optin", "lists": [double.id],
         "content_type": "html", "body": body},
    )  # fmt: skip
    assert r.json()["data"]["body"] == body


def test_an_optin_campaign_needs_a_double_optin_list(api_client, make_list):
    single = make_list("Single", optin="single")
    r = post(
        api_client, {"name": "C", "subject": "S", "type": "optin", "lists": [single.id]}
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("lists: ")
    assert Campaign.objects.count() == 0
    regular = post(api_client, {"name": "C", "subject": "S", "lists": [single.id]})
    pk = regular.json()["data"]["id"]
    r = api_client.put(
        f"/api/campaigns/{pk}",
        data=json.dumps({"type": "optin"}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["message"].startswith("lists: ")


@pytest.mark.smtp
def test_it_goes_to_unconfirmed_double_optin_members_with_their_optin_link(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    double = make_list("Double", optin="double")
    single = make_list("Single", optin="single")
    pending = make_subscriber(email="pending@x.org")
    subscribe(pending, double, "unconfirmed")
    subscribe(make_subscriber(email="confirmed@x.org"), double, "confirmed")
    subscribe(make_subscriber(email="gone@x.org"), double, "unsubscribed")
    subscribe(make_subscriber(email="single@x.org"), single, "unconfirmed")
    blocked = make_subscriber(email="blocked@x.org", status="blocklisted")
    subscribe(blocked, double, "unconfirmed")
    campaign = make_campaign(
        double, single, type="optin",
        body='<p><a href="{{ OptinURL }}">Confirm</a></p>',
    )  # fmt: skip
    start(campaign, django_capture_on_commit_callbacks)
    assert campaign.to_send == 1

    sender.send_campaign(campaign.pk)

    assert recipients(sink) == ["pending@x.org"]
    (msg,) = sink.messages
    assert email.utils.parseaddr(msg["To"])[1] == "pending@x.org"
    html = msg.get_body(("html",)).get_content()
    href = re.search(r'<a href="([^"]+)">Confirm</a>', html).group(1)
    assert read_optin_token(href.rstrip("/").rsplit("/", 1)[1]) == pending


def test_the_form_offers_the_type(client_alice, make_list):
    double = make_list("Double", optin="double")
    page = client_alice.get("/campaigns/new").content.decode()
    assert 'name="type"' in page and 'value="optin"' in page
    r = client_alice.post(
        "/campaigns/new",
        {"name": "C", "subject": "S", "type": "optin", "lists": [double.id],
         "content_type": "richtext", "body": ""},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.type == "optin"
    assert "{{ OptinURL }}" in campaign.body


def test_the_detail_page_says_an_optin_campaign_is_one(client_alice, make_list):
    double = make_list("Double", optin="double")
    campaign = make_campaign(double, type="optin")
    page = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Opt-in (to the unconfirmed members of its double opt-in lists)" in page
    regular = make_campaign(double)
    page = client_alice.get(f"/campaigns/{regular.pk}/").content.decode()
    assert '<dd id="campaign-type">Regular</dd>' in page
