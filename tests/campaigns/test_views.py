"""Campaign admin pages: list, form (errors beside fields), preview, detail, actions."""

from __future__ import annotations

from unittest import mock

import pytest

from campaigns.models import Campaign, Delivery
from campaigns.services import create_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(make_list):
    lst = make_list("Weekly")
    return create_campaign(
        {
            "name": "Spring",
            "subject": "Hi {{ subscriber.name }}",
            "lists": [lst.id],
            "content_type": "html",
            "body": "<p>Hello {{ subscriber.name }} from {{ subscriber.attribs.city }}</p>",
        }
    )


def form_data(list_id, **kw):
    data = {
        "name": "Autumn",
        "subject": "News",
        "from_email": "News <news@example.com>",
        "lists": [list_id],
        "content_type": "markdown",
        "body": "# Hello",
        "altbody": "",
        "template_body": "",
        "headers": '[{"X-Tag": "a"}]',
        "tags": "promo, fall",
        "send_at": "",
    }
    return {**data, **kw}


def test_it_lists_campaigns_with_a_nav_link(client_alice, campaign):
    r = client_alice.get("/campaigns/")
    assert r.status_code == 200
    assert b"Spring" in r.content
    assert b'href="/campaigns/" class="active"' in r.content


def test_it_creates_a_campaign_from_the_form(client_alice, make_list):
    lst = make_list("Monthly")
    r = client_alice.post("/campaigns/new", form_data(lst.id))
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/{c.pk}/"
    assert (c.content_type, c.tags, c.headers) == (
        "markdown",
        ["promo", "fall"],
        [{"X-Tag": "a"}],
    )
    assert [cl.list_name for cl in c.campaign_lists.all()] == ["Monthly"]


def test_it_shows_service_errors_beside_the_field(client_alice, make_list):
    lst = make_list()
    r = client_alice.post(
        "/campaigns/new", form_data(lst.id, from_email="nope", body="{% if %}")
    )
    assert r.status_code == 400
    form = r.context["form"]
    assert "from_email" in form.errors
    assert not Campaign.objects.exists()
    r = client_alice.post("/campaigns/new", form_data(lst.id, headers="[{"))
    assert "headers" in r.context["form"].errors


def test_it_edits_a_campaign(client_alice, campaign):
    assert client_alice.get(f"/campaigns/{campaign.pk}/edit").status_code == 200
    lst_id = campaign.campaign_lists.get().list_id
    r = client_alice.post(
        f"/campaigns/{campaign.pk}/edit", form_data(lst_id, name="Renamed")
    )
    assert r.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).name == "Renamed"


def test_it_previews_for_a_chosen_subscriber_escaped(
    client_alice, campaign, make_subscriber
):
    sub = make_subscriber(name="<Ann>", attribs={"city": "Oslo"})
    r = client_alice.get(f"/campaigns/{campaign.pk}/preview?subscriber={sub.pk}")
    assert r.status_code == 200
    # srcdoc holds the HTML escaped once more for the attribute.
    assert b"Hello &amp;lt;Ann&amp;gt; from Oslo" in r.content
    assert b"Hi &lt;Ann&gt;" in r.content
    r = client_alice.get(f"/campaigns/{campaign.pk}/preview")
    assert b"Hello Sample Subscriber" in r.content


def test_it_shows_progress_results_and_actions(client_alice, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(to_send=200)
    Delivery.objects.bulk_create(
        Delivery(campaign=campaign, subscriber_id=i, email=f"s{i}@x.org", status="sent")
        for i in range(50)
    )
    r = client_alice.get(f"/campaigns/{campaign.pk}/")
    assert r.status_code == 200
    assert b'of <span data-field="to_send">200</span> sent' in r.content
    assert b'(<span data-field="percent">25</span>% done)' in r.content
    assert f"/bounces/?campaign_id={campaign.pk}".encode() in r.content
    assert [a for a, _ in r.context["actions"]] == ["start", "schedule", "cancel"]


def test_it_starts_and_pauses_from_the_page(
    client_alice, campaign, django_capture_on_commit_callbacks
):
    url = f"/campaigns/{campaign.pk}/status"
    with mock.patch("campaigns.services._start_sending") as start:
        with django_capture_on_commit_callbacks(execute=True):
            client_alice.post(url, {"action": "start"})
    start.assert_called_once_with(campaign.pk)
    client_alice.post(url, {"action": "pause"})
    assert Campaign.objects.get(pk=campaign.pk).status == "paused"
    r = client_alice.get(f"/campaigns/{campaign.pk}/")
    assert [a for a, _ in r.context["actions"]] == ["resume", "cancel"]
    r = client_alice.post(url, {"action": "schedule"}, follow=True)
    assert b"status: a paused campaign cannot become scheduled" in r.content
