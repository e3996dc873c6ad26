"""The confirmation mail through the real queue to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stmails import outbox
from stmails.models import OutgoingMail
from subscribers.models import Subscription
from tests.stmails.outbox_helpers import (
    Sink,
    free_port,
    smtp_server,
    start_sink,
    use_servers,
)
from tests.subscribers.subscription.optin_helpers import LINK, path_of

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


def subscribe(client, capture, lists, email="ann@example.com"):
    with capture(execute=True):
        r = client.post(
            "/api/public/subscription",
            {"email": email, "name": "Ann", "list_uuids": [str(x.uuid) for x in lists]},
            content_type="application/json",
        )
    assert r.status_code == 200, r.content


def test_the_mail_arrives_with_a_working_link(
    client, sink, double_list, single_list, django_capture_on_commit_callbacks
):
    subscribe(client, django_capture_on_commit_callbacks, [double_list, single_list])

    [msg] = sink.messages
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Confirm your subscription"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:9000/subscription/unsubscribe/"
    )
    # Raw bytes: an RFC 2047-encoded header would decode fine above but mail
    # clients do not read an encoded List-Unsubscribe.
    raw = sink.envelopes[0].original_content
    assert b"\r\nList-Unsubscribe: <http://127.0.0.1:9000/subscription/" in raw
    text = msg.get_content()
    assert "Hello Ann," in text and "Weekly" in text
    assert "Announcements" not in text
    link = LINK.search(text).group(0)

    client.post(path_of(link))

    sub = Subscription.objects.get(
        subscriber__email="ann@example.com", list=double_list
    )
    assert sub.status == "confirmed"


def test_the_one_click_header_unsubscribes(
    client, sink, double_list, django_capture_on_commit_callbacks
):
    subscribe(client, django_capture_on_commit_callbacks, [double_list])
    url = sink.messages[0]["List-Unsubscribe"].strip("<>")

    r = client.post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert r.status_code == 200
    assert Subscription.objects.get().status == "unsubscribed"


def test_with_the_server_down_the_mail_waits_and_goes_out_later(
    client, double_list, django_capture_on_commit_callbacks
):
    port = free_port()
    use_servers(smtp_server(port))

    subscribe(client, django_capture_on_commit_callbacks, [double_list])

    mail = OutgoingMail.objects.get(kind="optin")
    assert mail.status == "awaiting_retry"
    assert "127.0.0.1" in mail.last_error
    sink = Sink()
    controller = start_sink(sink, port=port)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outbox.send_due_mail(now=timezone.now() + timedelta(hours=1))
    finally:
        controller.stop()

    mail.refresh_from_db()
    assert mail.status == "sent"
    assert LINK.search(sink.messages[0].get_content())
