"""listmonk's campaign content routes: preview, text, content conversion and
the running campaigns' stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from campaigns.content_convert import convert, html_to_markdown
from campaigns.models import Campaign, Delivery, Template
from campaigns.stats import running_stats

pytestmark = pytest.mark.django_db


def campaign(**kw) -> Campaign:
    kw.setdefault("content_type", "html")
    kw.setdefault("body", "<p>Hi {{ .Subscriber.Name }}</p>")
    return Campaign.objects.create(name="C", subject="S", **kw)


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_get_preview_renders_the_saved_campaign_as_html(api_client):
    c = campaign()
    r = api_client.get(f"/api/campaigns/{c.pk}/preview")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    assert "<p>Hi Sample Subscriber</p>" in r.content.decode()


def test_post_preview_renders_the_posted_body_without_saving(api_client):
    c = campaign()
    form = {"body": "# Hello {{ .Subscriber.Email }}", "content_type": "markdown"}
    r = api_client.post(
        f"/api/campaigns/{c.pk}/preview", data=form
    )  # listmonk posts a form
    assert r.status_code == 200
    assert "<h1>Hello sample@example.com</h1>" in r.content.decode()
    r = post_json(
        api_client,
        f"/api/campaigns/{c.pk}/preview",
        {"body": "plain {{ .Subscriber.Name }}", "content_type": "plain"},
    )
    assert r["Content-Type"].startswith("text/plain")
    assert r.content.decode() == "plain Sample Subscriber"
    c.refresh_from_db()
    assert (c.content_type, c.body) == ("html", "<p>Hi {{ .Subscriber.Name }}</p>")


def test_preview_wraps_in_the_template_asked_for(api_client):
    c = campaign()
    layout = Template.objects.create(
        name="L",
        type="campaign",
        body='<div id="wrap">{{ template "content" . }}</div>',
    )
    r = api_client.get(f"/api/campaigns/{c.pk}/preview?template_id={layout.pk}")
    assert '<div id="wrap"><p>Hi Sample Subscriber</p></div>' in r.content.decode()
    tx = Template.objects.create(name="T", type="tx", body="x")
    r = api_client.get(f"/api/campaigns/{c.pk}/preview?template_id={tx.pk}")
    assert r.status_code == 400 and r.json()["message"].startswith("template_id: ")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"body": "{{ if }}"}, "body"),
        ({"content_type": "docx"}, "content_type"),
        ({"template_id": "abc"}, "template_id"),
        ({"body": 5}, "body"),
    ],
)
def test_preview_bad_input_is_a_400_naming_the_field(api_client, body, field):
    c = campaign()
    r = post_json(api_client, f"/api/campaigns/{c.pk}/preview", body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}: ")


def test_preview_of_a_missing_campaign_is_a_404(api_client):
    assert api_client.get("/api/campaigns/999999/preview").status_code == 404
    assert api_client.post("/api/campaigns/999999/text").status_code == 404


def test_text_is_the_plain_text_part(api_client):
    c = campaign(body='<h1>Hi</h1><p>Read <a href="https://x.org/a">this</a></p>')
    r = api_client.post(f"/api/campaigns/{c.pk}/text")
    assert r["Content-Type"].startswith("text/plain")
    assert r.content.decode() == "Hi\n\nRead this (https://x.org/a)"
    c.altbody = "Alt for {{ .Subscriber.Name }}"
    c.save()
    r = api_client.post(f"/api/campaigns/{c.pk}/text")
    assert r.content.decode() == "Alt for Sample Subscriber"


def test_content_converts_between_types(api_client):
    c = campaign()
    url = f"/api/campaigns/{c.pk}/content"
    r = post_json(
        api_client,
        url,
        {"from": "markdown", "to": "html", "body": "**Hi** {{ .Subscriber.Name }}"},
    )
    assert r.json() == {"data": "<p><strong>Hi</strong> {{ .Subscriber.Name }}</p>"}
    r = post_json(
        api_client,
        url,
        {
            "from": "html",
            "to": "markdown",
            "body": '<h2>T</h2><p><em>a</em> <a href="https://x.org">b</a></p><ul><li>x</li></ul>',
        },
    )
    assert r.json()["data"] == "## T\n\n*a* [b](https://x.org)\n\n- x"
    r = post_json(
        api_client,
        url,
        {"from": "richtext", "to": "plain", "body": "<p>One</p><p>Two</p>"},
    )
    assert r.json()["data"] == "One\n\nTwo"
    r = post_json(
        api_client, url, {"from": "plain", "to": "richtext", "body": "a < b\nc"}
    )
    assert r.json()["data"] == "<p>a &lt; b<br>\nc</p>"
    r = post_json(
        api_client,
        url,
        {
            "from": "html",
            "to": "richtext",
            "body": "<p onclick=x>a</p><script>b</script>",
        },
    )
    assert r.json()["data"] == "<p>a</p>"


@pytest.mark.parametrize(
    "body,field",
    [({"from": "html", "to": "visual"}, "to"), ({"from": "word", "to": "html"}, "from"),
     ({"to": "html", "body": []}, "body"), ({"from": "html"}, "to")],
)  # fmt: skip
def test_content_bad_input_names_the_field(api_client, body, field):
    c = campaign()
    r = post_json(api_client, f"/api/campaigns/{c.pk}/content", body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}: ")


def test_markdown_round_trip_keeps_the_text():
    md = "# Title\n\nSome **bold** and *it*, [a link](https://x.org).\n\n1. one\n2. two"
    assert html_to_markdown(convert(md, "markdown", "html")) == md
    assert convert("same", "html", "html") == "same"


T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def test_running_stats_in_listmonks_shape(api_client):
    running = campaign(status="running", to_send=10)
    Campaign.objects.filter(pk=running.pk).update(started_at=T0)
    campaign(status="draft")
    for i in range(6):
        # 4 sent in the first minutes, 2 in the last minute before now.
        at = T0 + timedelta(minutes=1 if i < 4 else 2, seconds=30)
        Delivery.objects.create(
            campaign=running,
            subscriber_id=i,
            email=f"{i}@x.org",
            status="sent",
            sent_at=at,
        )
    Delivery.objects.create(campaign=running, subscriber_id=99, email="q@x.org")
    (row,) = running_stats(now=T0 + timedelta(minutes=3))
    assert set(row) == {
        "id",
        "status",
        "to_send",
        "sent",
        "started_at",
        "updated_at",
        "rate",
        "net_rate",
    }
    assert (row["id"], row["status"], row["to_send"], row["sent"]) == (
        running.pk,
        "running",
        10,
        6,
    )
    # 2 sent in the last minute; 6 in 3 minutes since the start.
    assert (row["rate"], row["net_rate"]) == (2, 2)
    live = api_client.get("/api/campaigns/running/stats").json()["data"]
    assert [r["id"] for r in live] == [running.pk]
    with mock.patch("campaigns.api_content.running_stats", return_value=[row]):
        data = api_client.get(
            f"/api/campaigns/running/stats?campaign_id={running.pk}"
        ).json()
        assert data == {"data": [row]}
        data = api_client.get("/api/campaigns/running/stats?campaign_id=424242").json()
        assert data == {"data": []}
    r = api_client.get("/api/campaigns/running/stats?campaign_id=x")
    assert r.status_code == 400 and r.json()["message"].startswith("campaign_id: ")
