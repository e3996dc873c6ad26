"""POST /api/campaigns/{id}/test and the detail page's "Send test" form."""

from __future__ import annotations

import json

import pytest

from campaigns.models import Campaign, CampaignList
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


@pytest.fixture
def campaign(make_list):
    lst = make_list("Weekly")
    c = Campaign.objects.create(
        name="Spring",
        subject="Hello {{ subscriber.name }}",
        from_email="News <news@example.com>",
        content_type="html",
        body="<p>Hi {{ subscriber.name }}</p>",
        headers=[{"X-Tag": "spring"}],
    )
    CampaignList.objects.create(campaign=c, list=lst, list_name=lst.name)
    return c


def post_test(api_client, capture, pk, body):
    with capture(execute=True):
        return api_client.post(
            f"/api/campaigns/{pk}/test",
            data=json.dumps(body),
            content_type="application/json",
        )


@pytest.mark.smtp
def test_it_sends_the_rendered_campaign_with_its_headers(
    sink, api_client, campaign, make_subscriber, django_capture_on_commit_callbacks
):
    ann = make_subscriber(email="ann@example.com", name="Ann")
    body = {
        "name": "Spring",
        "subject": "Edited {{ subscriber.name }}",
        "lists": [1],
        "subscribers": ["Ann@Example.com"],
    }
    r = post_test(api_client, django_capture_on_commit_callbacks, campaign.pk, body)
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    [msg] = sink.messages
    assert msg["Subject"] == "Edited Ann"  # unsaved edits, no prefix
    assert msg["To"] == "ann@example.com"
    assert msg["From"] == "News <news@example.com>"
    assert msg["X-Stmails-Campaign"] == str(campaign.uuid)
    assert msg["X-Stmails-Subscriber"] == str(ann.uuid)
    assert msg["X-Tag"] == "spring"
    assert msg["List-Unsubscribe"].startswith("<http")
    assert "<p>Hi Ann</p>" in msg.get_body(("html",)).get_content()
    mail = OutgoingMail.objects.get()
    assert (mail.kind, mail.subscriber_id, mail.campaign_id) == (
        "campaign_test", ann.pk, campaign.pk,
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.subject == "Hello {{ subscriber.name }}"  # not saved


@pytest.mark.parametrize(
    ("subscribers", "message"),
    [
        (["ann@example.com", "nobody@example.com"], "subscribers: nobody@example.com is not a subscriber"),
        ([], "subscribers: give at least one"),
        (None, "subscribers: give at least one"),
        (["not-an-address"], "subscribers: 'not-an-address' is not a valid"),
    ],
)  # fmt: skip
def test_it_rejects_addresses_that_are_not_subscribers(
    api_client, campaign, make_subscriber, django_capture_on_commit_callbacks,
    subscribers, message,
):  # fmt: skip
    make_subscriber(email="ann@example.com")
    body = {"subscribers": subscribers}
    r = post_test(api_client, django_capture_on_commit_callbacks, campaign.pk, body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)
    assert not OutgoingMail.objects.exists()


def test_it_rejects_a_bad_template_and_an_unknown_campaign(
    api_client, campaign, make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="ann@example.com")
    body = {"subscribers": ["ann@example.com"], "body": "{% if %}"}
    r = post_test(api_client, django_capture_on_commit_callbacks, campaign.pk, body)
    assert r.status_code == 400
    assert r.json()["message"].startswith("body: template error")
    r = post_test(api_client, django_capture_on_commit_callbacks, 99999, body)
    assert r.status_code == 404
    assert not OutgoingMail.objects.exists()


@pytest.mark.smtp
def test_the_detail_page_form_sends_a_test(
    sink, client_alice, campaign, make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="ann@example.com", name="Ann")
    make_subscriber(email="bob@example.com", name="Bob")
    page = client_alice.get(f"/campaigns/{campaign.pk}/")
    assert b'name="subscribers"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        r = client_alice.post(
            f"/campaigns/{campaign.pk}/test",
            {"subscribers": "ann@example.com, bob@example.com"},
            follow=True,
        )
    assert b"Test sent to 2 address(es)." in r.content
    assert sorted(m["Subject"] for m in sink.messages) == ["Hello Ann", "Hello Bob"]


def test_the_form_shows_the_error_beside_the_field(
    client_alice, campaign, make_subscriber
):
    make_subscriber(email="ann@example.com")
    r = client_alice.post(
        f"/campaigns/{campaign.pk}/test",
        {"subscribers": "ann@example.com, stranger@example.net"},
    )
    assert r.status_code == 400
    assert b"stranger@example.net is not a subscriber" in r.content
    assert b'value="ann@example.com, stranger@example.net"' in r.content
    assert not OutgoingMail.objects.exists()
