"""listmonk's POST /api/tx, template-less, with bounces tied to the subscriber."""

from __future__ import annotations

import json

import pytest

from bounces.matching import find_sent_messages
from bounces.models import Bounce
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink():
    sink = Sink()
    sink.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: No such user"
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks):
    def post(body):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(
                "/api/tx", data=json.dumps(body), content_type="application/json"
            )

    return post


@pytest.mark.smtp
def test_it_sends_a_rendered_mail_to_a_subscriber(sink, post, make_subscriber):
    ann = make_subscriber(email="ann@example.com", name="Ann")
    r = post(
        {
            "subscriber_email": "ANN@example.com",
            "subject": "Order {{ data.order_id }}",
            "body": "# Hi {{ subscriber.name }}\n\nOrder **{{ data.order_id }}**",
            "content_type": "markdown",
            "from_email": "Shop <shop@example.org>",
            "headers": [{"X-Order": "42"}, {"X-Stmails-Subscriber": "forged"}],
            "data": {"order_id": 42},
        }
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    [msg] = sink.messages
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Order 42"
    assert msg["From"] == "Shop <shop@example.org>"
    assert msg["X-Order"] == "42"
    assert msg["X-Stmails-Subscriber"] == str(ann.uuid)
    html = msg.get_body(("html",)).get_content()
    assert "<h1>Hi Ann</h1>" in html and "<strong>42</strong>" in html
    mail = OutgoingMail.objects.get()
    assert (mail.kind, mail.subscriber_id, mail.status) == ("tx", ann.pk, "sent")
    # A mailbox or provider bounce quoting the Message-ID finds the subscriber.
    ref = find_sent_messages({mail.message_id})[mail.message_id]
    assert ref.subscriber_uuid == str(ann.uuid)


@pytest.mark.smtp
def test_it_sends_plain_text_to_ids_and_external_addresses(sink, post, make_subscriber):
    ann = make_subscriber(email="ann@example.com")
    bob = make_subscriber(email="bob@example.com")
    r = post(
        {
            "subscriber_ids": [ann.pk, bob.pk],
            "subject": "Hi",
            "body": "Hello {{ subscriber.email }}",
            "content_type": "plain",
        }
    )
    assert r.status_code == 200, r.content
    assert sorted(m["To"] for m in sink.messages) == [ann.email, bob.email]
    assert not sink.messages[0].get_body(("html",))
    r = post(
        {
            "subscriber_emails": ["ann@example.com", "stranger@example.net"],
            "subscriber_mode": "fallback",
            "subject": "Hi",
            "body": "<p>x</p>",
        }
    )
    assert r.status_code == 200, r.content
    stranger = OutgoingMail.objects.get(to_email="stranger@example.net")
    assert stranger.subscriber_id is None
    assert "X-Stmails-Subscriber" not in stranger.headers
    assert (
        OutgoingMail.objects.filter(to_email=ann.email).last().subscriber_id == ann.pk
    )


@pytest.mark.smtp
def test_an_smtp_rejection_counts_against_the_subscriber(sink, post, make_subscriber):
    update_settings({"bounce.enabled": True})
    gone = make_subscriber(email="gone@example.com")
    r = post({"subscriber_id": gone.pk, "subject": "S", "body": "B"})
    assert r.status_code == 200, r.content
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type, bounce.source) == (
        gone.pk,
        "hard",
        "smtp",
    )
    gone.refresh_from_db()
    assert gone.status == "blocklisted"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"template_id": 3}, "template_id: templates are not supported; send subject and body"),
        ({"subscriber_email": "nobody@example.com"}, "subscriber_email: nobody@example.com is not a subscriber"),
        ({"subscriber_emails": ["ann@example.com", "bad"]}, "subscriber_emails: 'bad' is not a valid e-mail address"),
        ({"subscriber_id": 999999}, "subscriber_id: subscriber 999999 not found"),
        ({"subscriber_ids": ["x"]}, "subscriber_ids: 'x' is not a subscriber id"),
        ({"subscriber_email": None}, "subscriber_emails: give subscriber_email, subscriber_id, subscriber_emails or subscriber_ids"),
        ({"subscriber_mode": "external", "subscriber_id": 1}, "subscriber_id: external mode takes e-mail addresses, not ids"),
        ({"subscriber_mode": "odd"}, "subscriber_mode: must be one of default, fallback, external"),
        ({"content_type": "richtext"}, "content_type: must be one of html, plain, markdown"),
        ({"subject": ""}, "subject: is required"),
        ({"body": "{% if %}"}, "body: template error"),
        ({"data": [1]}, "data: must be an object"),
        ({"headers": {"X": "y"}}, "headers: must be a list"),
        ({"from_email": "nope"}, "from_email: must look like"),
    ],
)  # fmt: skip
def test_it_rejects_bad_input_and_sends_nothing(post, make_subscriber, body, message):
    make_subscriber(email="ann@example.com")
    data = {"subscriber_email": "ann@example.com", "subject": "S", "body": "B"}
    data.update(body)
    r = post(data)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)
    assert not OutgoingMail.objects.exists()


def test_it_needs_api_auth(client):
    r = client.post("/api/tx", data="{}", content_type="application/json")
    assert r.status_code in (401, 403)
    assert not OutgoingMail.objects.exists()
