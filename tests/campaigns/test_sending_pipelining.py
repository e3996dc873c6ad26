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
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import PipeliningSink, recipients
from tests.stmails.outbox_helpers import smtp_server, start_sink, use_servers

campaign_of = sending_helpers.campaign_of  # the fixture

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


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


def test_a_row_another_slot_claimed_is_not_sent(sink, campaign_of, monkeypatch):
    """The row is claimed only once the server said 354: when another slot
    claimed it meanwhile, the connection is closed in DATA, before the
    message, and this slot moves on."""
    campaign = campaign_of("a@x.org", "taken@x.org", "c@x.org")
    claim = ledger.claim

    def taken_meanwhile(delivery_id, attempt, now, sent, message_id=""):
        if Delivery.objects.get(pk=delivery_id).email == "taken@x.org":
            Delivery.objects.filter(pk=delivery_id).update(status="sending", attempts=7)
        return claim(delivery_id, attempt, now, sent, message_id)

    monkeypatch.setattr(ledger, "claim", taken_meanwhile)
    result = sender.send_campaign(campaign.pk)

    assert recipients(sink) == ["a@x.org", "c@x.org"]
    assert result.sent == len(sink.messages) == 2
    taken = Delivery.objects.get(email="taken@x.org")
    assert (taken.status, taken.attempts, taken.message_id) == ("sending", 7, "")
    assert Delivery.objects.get(email="a@x.org").status == "sent"


def test_a_row_is_claimed_with_its_message_id_and_records_the_one_before(
    sink, campaign_of
):
    """At most one row per connection is in "sending" at any moment; a row
    still queued when the envelope goes out is simply sent later if the
    worker dies (the server drops a transaction without its message)."""
    campaign = campaign_of("a@x.org", "b@x.org", "c@x.org")
    seen: list[dict[str, tuple[str, bool]]] = []
    send_message = sender.send_message

    def look(conn, from_, to, data, handed):
        def check() -> bool:
            ok = handed()
            seen.append(
                {
                    d.email: (d.status, bool(d.message_id))
                    for d in Delivery.objects.order_by("email")
                }
            )
            return ok

        seen.append(
            {d.email: (d.status, False) for d in Delivery.objects.order_by("email")}
        )
        return send_message(conn, from_, to, data, check)

    sender.send_message, saved = look, send_message
    try:
        sender.send_campaign(campaign.pk)
    finally:
        sender.send_message = saved

    q, sending, sent = ("queued", False), ("sending", True), ("sent", True)
    assert [tuple(s.values()) for s in seen] == [
        (q, q, q), (sending, q, q),
        ((sending[0], False), q, q), (sent, sending, q),
        ((sent[0], False), (sending[0], False), q), (sent, sent, sending),
    ]  # fmt: skip
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    "address",
    ["a@b.c", "bounces+ab12@mail.example.org", "o'neil@x.org", "x@y", "a..b@x.org",
     ".a@x.org", "Ann <a@b.c>", "<a@b.c>", "a b@x.org", "", "<>"],
)  # fmt: skip
@pytest.mark.django_db(False)
def test_envelope_addresses_are_quoted_as_smtplib_does(address):
    assert smtp._quote(address) == smtplib.quoteaddr(address)
