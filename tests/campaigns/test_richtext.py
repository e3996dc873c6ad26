"""Rich text bodies: the allow-list sanitiser, and where the form and API apply it."""

from __future__ import annotations

import json

import pytest

from campaigns.html_sanitizer import sanitize_html
from campaigns.models import Campaign


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"),
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
        ('<p onclick="steal()" class="c">x</p>', "<p>x</p>"),
        (
            '<img src="https://e.org/i.png" onerror="alert(1)">',
            '<img src="https://e.org/i.png">',
        ),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" JaVa\tScRiPt:alert(1)">x</a>', "<a>x</a>"),
        (
            '<a href="https://e.org/?a=1&amp;b=2">x</a>',
            '<a href="https://e.org/?a=1&amp;b=2">x</a>',
        ),
        ('<a href="mailto:a@e.org">m</a>', '<a href="mailto:a@e.org">m</a>'),
        (
            '<a href="{{ unsubscribe_url }}">u</a>',
            '<a href="{{ unsubscribe_url }}">u</a>',
        ),
        ("<blink>old</blink> <iframe src=x>hidden</iframe>", "old "),
        (
            "<ul><li>one</li></ul><ol><li>two</li></ol>",
            "<ul><li>one</li></ul><ol><li>two</li></ol>",
        ),
        ("<h2>Title</h2><i>i</i><u>u</u><br>", "<h2>Title</h2><i>i</i><u>u</u><br>"),
        ("1 &lt; 2 &amp; 3", "1 &lt; 2 &amp; 3"),
        (
            "Hi {{ subscriber.name }}, {% if x %}y{% endif %}",
            "Hi {{ subscriber.name }}, {% if x %}y{% endif %}",
        ),
        ('<p style="background:url(javascript:x)">s</p>', "<p>s</p>"),
    ],
)
def test_it_sanitises_rich_text(source, expected):
    assert sanitize_html(source) == expected


@pytest.mark.django_db
def test_it_includes_the_editor_on_the_campaign_form(client_alice):
    r = client_alice.get("/campaigns/new")
    assert r.status_code == 200
    assert b"js/richtext.js" in r.content


def form_data(list_id, **kw):
    return {
        "name": "Autumn",
        "subject": "News",
        "from_email": "News <news@example.com>",
        "lists": [list_id],
        "content_type": "richtext",
        "body": '<p onmouseover="x()">Hi <b>you</b><script>alert(1)</script></p>',
        "altbody": "",
        "template_body": "",
        "headers": "",
        "tags": "",
        "send_at": "",
        **kw,
    }


@pytest.mark.django_db
def test_it_sanitises_rich_text_from_the_form(client_alice, make_list):
    lst = make_list("Monthly")
    assert client_alice.post("/campaigns/new", form_data(lst.id)).status_code == 302
    assert Campaign.objects.get().body == "<p>Hi <b>you</b></p>"


@pytest.mark.django_db
def test_it_keeps_raw_html_bodies_as_written(client_alice, make_list):
    lst = make_list("Monthly")
    body = "<p onclick='x()'>raw</p>"
    data = form_data(lst.id, content_type="html", body=body)
    assert client_alice.post("/campaigns/new", data).status_code == 302
    assert Campaign.objects.get().body == body


@pytest.mark.django_db
def test_it_sanitises_rich_text_from_the_api(api_client, make_list):
    lst = make_list("Weekly")
    body = {
        "name": "Spring",
        "subject": "Hello",
        "lists": [lst.id],
        "content_type": "richtext",
        "body": '<a href="javascript:alert(1)">x</a>',
    }
    r = api_client.post(
        "/api/campaigns", json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    pk = r.json()["data"]["id"]
    assert Campaign.objects.get(pk=pk).body == "<a>x</a>"
    # An update without content_type keeps the campaign's type: still rich text.
    r = api_client.put(
        f"/api/campaigns/{pk}",
        json.dumps({"body": "<p>ok<style>p{}</style></p>"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert Campaign.objects.get(pk=pk).body == "<p>ok</p>"


@pytest.mark.django_db
def test_it_cleans_the_stored_body_when_a_campaign_turns_into_rich_text(make_list):
    from campaigns import services

    campaign = services.create_campaign(
        {
            "name": "Raw",
            "subject": "Hi",
            "content_type": "html",
            "body": '<p onclick="x()">Hi</p><script>alert(1)</script>',
            "lists": [make_list().id],
        }
    )
    assert "<script>" in campaign.body  # html bodies are kept as written

    services.update_campaign(campaign, {"content_type": "richtext"})

    campaign.refresh_from_db()
    assert campaign.body == "<p>Hi</p>"
