"""/api/campaigns, as listmonk's, plus stmails' bounce counts."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignList

pytestmark = pytest.mark.django_db


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def campaign_body(make_list):
    lst = make_list("Weekly")
    return {
        "name": "Spring",
        "subject": "Hello {{ subscriber.name }}",
        "from_email": "News <news@example.com>",
        "lists": [lst.id],
        "content_type": "html",
        "body": "<p>Hi {{ subscriber.name }}</p>",
        "altbody": "",
        "headers": [{"X-Tag": "spring"}],
        "tags": ["promo"],
    }


def test_it_creates_reads_updates_and_deletes_a_campaign(api_client, campaign_body):
    r = send(api_client, "post", "/api/campaigns", campaign_body)
    assert r.status_code == 200, r.json()
    data = r.json()["data"]
    assert (data["name"], data["status"], data["type"]) == (
        "Spring",
        "draft",
        "regular",
    )
    assert data["lists"] == [{"id": campaign_body["lists"][0], "name": "Weekly"}]
    assert data["headers"] == [{"X-Tag": "spring"}]
    assert data["bounces"] == 0
    assert data["bounce_counts"] == {"hard": 0, "soft": 0, "complaint": 0}
    assert data["created_at"].endswith("Z")
    pk = data["id"]
    assert api_client.get(f"/api/campaigns/{pk}").json()["data"]["uuid"] == data["uuid"]
    r = send(api_client, "put", f"/api/campaigns/{pk}", {"name": "Summer"})
    assert r.status_code == 200, r.json()
    assert r.json()["data"]["name"] == "Summer"
    assert r.json()["data"]["subject"] == "Hello {{ subscriber.name }}"
    assert api_client.delete(f"/api/campaigns/{pk}").json() == {"data": True}
    assert not Campaign.objects.exists()
    assert not CampaignList.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"subject": "  "}, "subject"),
        ({"from_email": "not an address"}, "from_email"),
        ({"content_type": "visual"}, "content_type"),
        ({"lists": [999999]}, "lists"),
        ({"lists": ["x"]}, "lists"),
        ({"headers": [{"Bad Name": "x"}]}, "headers"),
        ({"headers": [{"X-A": "a\r\nBcc: evil@example.com"}]}, "headers"),
        ({"tags": "promo"}, "tags"),
        ({"send_at": "tomorrow"}, "send_at"),
        ({"body": "{% if %}"}, "body"),
        ({"type": "newsletter"}, "type"),
        ({"type": "optin"}, "lists"),  # no double opt-in list among them
        ({"messenger": "sms"}, "messenger"),
        ({"attribs": [1]}, "attribs"),
        ({"media": [3]}, "media"),
        ({"body_source": 5}, "body_source"),
    ],
)
def test_it_rejects_bad_fields_naming_them(api_client, campaign_body, change, field):
    r = send(api_client, "post", "/api/campaigns", {**campaign_body, **change})
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}: ")
    assert not Campaign.objects.exists()


def test_it_404s_unknown_campaigns(api_client):
    assert api_client.get("/api/campaigns/999999").status_code == 404
    assert send(api_client, "put", "/api/campaigns/999999", {}).status_code == 404
    assert api_client.delete("/api/campaigns/999999").status_code == 404


def test_it_pages_and_filters_campaigns(api_client, campaign_body):
    for i in range(3):
        send(api_client, "post", "/api/campaigns", {**campaign_body, "name": f"C{i}"})
    Campaign.objects.filter(name="C1").update(status="paused")
    data = api_client.get("/api/campaigns?per_page=2").json()["data"]
    assert (data["total"], data["per_page"], data["page"]) == (3, 2, 1)
    assert [c["name"] for c in data["results"]] == ["C2", "C1"]
    data = api_client.get("/api/campaigns?status=paused").json()["data"]
    assert [c["name"] for c in data["results"]] == ["C1"]
    data = api_client.get("/api/campaigns?query=c0").json()["data"]
    assert [c["name"] for c in data["results"]] == ["C0"]
    r = api_client.get("/api/campaigns?status=bogus")
    assert r.status_code == 400
    assert r.json()["message"].startswith("status: ")


def test_it_counts_bounces_by_type(api_client, campaign_body, make_subscriber):
    pk = send(api_client, "post", "/api/campaigns", campaign_body).json()["data"]["id"]
    sub = make_subscriber()
    from bounces.models import Bounce  # the test may import bounces; campaigns may not

    for kind in ("hard", "hard", "complaint"):
        Bounce.objects.create(subscriber=sub, campaign_id=pk, type=kind, source="api")
    data = api_client.get(f"/api/campaigns/{pk}").json()["data"]
    assert data["bounces"] == 3
    assert data["bounce_counts"] == {"hard": 2, "soft": 0, "complaint": 1}
    listing = api_client.get("/api/campaigns").json()["data"]["results"]
    assert listing[0]["bounce_counts"]["hard"] == 2


def test_it_starts_a_campaign_through_the_engine(
    api_client, campaign_body, django_capture_on_commit_callbacks
):
    pk = send(api_client, "post", "/api/campaigns", campaign_body).json()["data"]["id"]
    with mock.patch("campaigns.services._start_sending") as start:
        with django_capture_on_commit_callbacks(execute=True):
            r = send(
                api_client, "put", f"/api/campaigns/{pk}/status", {"status": "running"}
            )
    assert r.status_code == 200, r.json()
    assert r.json()["data"]["status"] == "running"
    assert r.json()["data"]["started_at"]
    start.assert_called_once_with(pk)


def test_it_rejects_invalid_transitions(api_client, campaign_body):
    pk = send(api_client, "post", "/api/campaigns", campaign_body).json()["data"]["id"]
    url = f"/api/campaigns/{pk}/status"
    for status in ("paused", "finished", "draft", "nonsense"):
        r = send(api_client, "put", url, {"status": status})
        assert r.status_code == 400, status
        assert r.json()["message"].startswith("status: ")
    r = send(api_client, "put", url, {"status": "scheduled"})
    assert r.json()["message"].startswith("send_at: ")
    assert Campaign.objects.get(pk=pk).status == "draft"


def test_it_schedules_pauses_and_cancels(api_client, campaign_body):
    send_at = (timezone.now() + timedelta(days=1)).isoformat()
    body = {**campaign_body, "send_at": send_at}
    pk = send(api_client, "post", "/api/campaigns", body).json()["data"]["id"]
    url = f"/api/campaigns/{pk}/status"
    assert send(api_client, "put", url, {"status": "scheduled"}).status_code == 200
    r = send(api_client, "put", url, {"status": "paused"})
    assert r.json()["data"]["status"] == "paused"
    assert Campaign.objects.get(pk=pk).paused_reason == "paused by an admin"
    assert send(api_client, "put", url, {"status": "cancelled"}).status_code == 200
    r = send(api_client, "put", url, {"status": "running"})
    assert r.status_code == 400
    r = send(api_client, "put", f"/api/campaigns/{pk}", {"name": "x"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("status: ")


def test_it_needs_lists_to_start(api_client, campaign_body):
    body = {**campaign_body, "lists": []}
    pk = send(api_client, "post", "/api/campaigns", body).json()["data"]["id"]
    r = send(api_client, "put", f"/api/campaigns/{pk}/status", {"status": "running"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("lists: ")


def test_it_keeps_the_list_name_when_a_list_is_deleted(api_client, campaign_body):
    pk = send(api_client, "post", "/api/campaigns", campaign_body).json()["data"]["id"]
    api_client.delete(f"/api/lists/{campaign_body['lists'][0]}")
    data = api_client.get(f"/api/campaigns/{pk}").json()["data"]
    assert data["lists"] == [{"id": None, "name": "Weekly"}]
