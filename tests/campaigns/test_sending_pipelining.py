"""Against a server that offers PIPELINING (RFC 2920): MAIL FROM, RCPT TO and
DATA go out in one write, and the crash policy holds as without it (the
Message-ID is committed before the message goes out, a row recovered
meanwhile is never sent)."""

from __future__ import annotations

import smtplib

import pytest

from bounces.models import Bounce
from campaigns.models import Delivery
from campaigns.sending import ledger, sender, smtp
from stmails.config import update_settings
from tests.campaigns.sending_helpers import make_campaign, recipients, start, subscribe
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


class PipeliningSink(Sink):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd hook)
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def sink():
    sink = PipeliningSink()
    controller = start_sink(sink)
    sink.port = controller.port
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


@pytest.fixture
def writes(monkeypatch):
    """What the client sent, write by write."""
    sent: list[bytes] = []
    original = smtplib.SMTP.send

    def send(conn, data):
        sent.append(data if isinstance(data, bytes) else data.encode())
        return original(conn, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    return sent


@pytest.fixture
def campaign_of(make_list, make_subscriber, django_capture_on_commit_callbacks):
    def make(*emails: str):
        news = make_list()
        for address in emails:
            subscribe(make_subscriber(email=address), news)
        campaign = make_campaign(news)
        start(campaign, django_capture_on_commit_callbacks)
        return campaign

    return make


def test_it_sends_the_envelope_in_one_write(sink, writes, campaign_of):
    campaign = campaign_of("a@x.org", "b@x.org", "c@x.org")

    result = sender.send_campaign(campaign.pk)

    assert result.sent == 3
    assert recipients(sink) == ["a@x.org", "b@x.org", "c@x.org"]
    groups = [w for w in writes if w.startswith(b"MAIL FROM:")]
    assert len(groups) == 3
    assert all(b"\r\nRCPT TO:<" in w and w.endswith(b"\r\nDATA\r\n") for w in groups)
    rows = Delivery.objects.filter(campaign=campaign)
    assert {(d.status, d.smtp_code) for d in rows} == {("sent", 250)}
    assert {m["Message-ID"] for m in sink.messages} == {d.message_id for d in rows}


def test_a_refused_recipient_fails_alone(sink, campaign_of):
    update_settings({"bounce.enabled": True})
    sink.rcpt_replies["gone@x.org"] = "550 5.1.1 <gone@x.org>: No such user"
    campaign = campaign_of("a@x.org", "gone@x.org", "c@x.org")

    result = sender.send_campaign(campaign.pk)

    assert (result.sent, result.failed) == (2, 1)
    gone = Delivery.objects.get(email="gone@x.org")
    assert (gone.status, gone.smtp_code, gone.message_id) == ("failed", 550, "")
    assert Bounce.objects.get().email == "gone@x.org"
    assert recipients(sink) == ["a@x.org", "c@x.org"]


def test_a_row_recovered_meanwhile_is_not_sent(sink, campaign_of, monkeypatch):
    """The row stopped being this claim's (recover_stalled queued it again):
    the connection is closed in DATA, before the message; the row goes out
    once, later, on a new connection."""
    campaign = campaign_of("a@x.org", "lost@x.org", "c@x.org")
    handed = ledger.handed
    lost = []

    def recovered_once(delivery_id, attempt, message_id):
        row = Delivery.objects.get(pk=delivery_id)
        if row.email == "lost@x.org" and not lost:
            lost.append(attempt)
            Delivery.objects.filter(pk=delivery_id).update(status="queued")
        return handed(delivery_id, attempt, message_id)

    monkeypatch.setattr(ledger, "handed", recovered_once)
    result = sender.send_campaign(campaign.pk)

    assert lost == [1]
    assert recipients(sink) == ["a@x.org", "c@x.org", "lost@x.org"]
    assert len(sink.messages) == result.sent == 3
    assert Delivery.objects.get(email="lost@x.org").attempts == 2


def test_the_previous_message_is_recorded_with_the_next_claim(sink, campaign_of):
    """At most one row per connection is in "sending" at any moment: the
    claim of a message records the one before it as sent."""
    campaign = campaign_of("a@x.org", "b@x.org", "c@x.org")
    seen: list[dict[str, str]] = []
    send_message = sender.send_message

    def look(*args):
        seen.append(dict(Delivery.objects.values_list("email", "status")))
        return send_message(*args)

    sender.send_message, saved = look, send_message
    try:
        sender.send_campaign(campaign.pk)
    finally:
        sender.send_message = saved

    assert seen == [
        {"a@x.org": "sending", "b@x.org": "queued", "c@x.org": "queued"},
        {"a@x.org": "sent", "b@x.org": "sending", "c@x.org": "queued"},
        {"a@x.org": "sent", "b@x.org": "sent", "c@x.org": "sending"},
    ]
    assert set(dict(Delivery.objects.values_list("email", "status")).values()) == {
        "sent"
    }


@pytest.mark.parametrize(
    "address",
    ["a@b.c", "bounces+ab12@mail.example.org", "o'neil@x.org", "x@y", "a..b@x.org",
     ".a@x.org", "Ann <a@b.c>", "<a@b.c>", "a b@x.org", "", "<>"],
)  # fmt: skip
@pytest.mark.django_db(False)
def test_envelope_addresses_are_quoted_as_smtplib_does(address):
    assert smtp._quote(address) == smtplib.quoteaddr(address)
