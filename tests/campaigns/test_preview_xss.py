"""Issue 14 item 1: the campaign preview never turns stored text into markup,
and every page forbids inline script (Content-Security-Policy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaigns.services import create_campaign

pytestmark = pytest.mark.django_db

SCRIPT = "<script>document.title='pwned'</script>"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def preview(client, campaign, subscriber=None) -> bytes:
    query = f"?subscriber={subscriber.pk}" if subscriber else ""
    response = client.get(f"/campaigns/{campaign.pk}/preview{query}")
    assert response.status_code == 200
    return response.content


def test_a_plain_text_body_is_shown_as_text_in_the_preview(client_alice, make_list):
    campaign = create_campaign(
        {
            "name": "Plain",
            "subject": "Hi",
            "lists": [make_list().id],
            "content_type": "plain",
            "body": "Hello " + SCRIPT,
        }
    )
    content = preview(client_alice, campaign)
    assert SCRIPT.encode() not in content
    assert (
        b"Hello &lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;"
        in content
    )


def test_an_html_campaigns_altbody_is_shown_as_text_in_the_preview(
    client_alice, make_list
):
    campaign = create_campaign(
        {
            "name": "Alt",
            "subject": "Hi",
            "lists": [make_list().id],
            "content_type": "html",
            "body": "<p>Hello</p>",
            "altbody": "Plain " + SCRIPT,
        }
    )
    content = preview(client_alice, campaign)
    assert SCRIPT.encode() not in content
    assert b"Plain &lt;script&gt;" in content


def test_a_subscribers_name_is_shown_as_text_when_previewing_as_them(
    client_alice, make_list, make_subscriber
):
    campaign = create_campaign(
        {
            "name": "Named",
            "subject": "Hi {{ subscriber.name }}",
            "lists": [make_list().id],
            "content_type": "plain",
            "body": "Dear {{ subscriber.name }}",
        }
    )
    sub = make_subscriber(name=SCRIPT)
    content = preview(client_alice, campaign, sub)
    assert SCRIPT.encode() not in content
    assert b"Dear &lt;script&gt;" in content
    assert b"Hi &lt;script&gt;" in content


def test_admin_pages_send_a_policy_that_forbids_inline_script(client_alice):
    response = client_alice.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    # The login page (no session) gets it too.
    assert (
        "script-src 'self'"
        in client_alice.get("/login").headers["Content-Security-Policy"]
    )


def test_no_template_carries_inline_script_or_event_handlers():
    """Under script-src 'self' these would silently stop working."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(f"{path.name}: inline handler")
    assert offenders == []


def test_the_policy_can_be_replaced_whole(client_alice, settings):
    settings.STMAILS_CONTENT_SECURITY_POLICY = "script-src 'self' https://cdn.example"
    policy = client_alice.get("/").headers["Content-Security-Policy"]
    assert policy == "script-src 'self' https://cdn.example"
