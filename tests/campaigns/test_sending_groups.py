"""Above 200 messages/s (pace.GROUP_ABOVE) the sender claims rows in groups:
one statement claims a group's rows as sent with their Message-IDs, and
writes the group down (SendGroup), before its first message goes out; the
next claim drops the previous group. The crash policy for a killed worker is
in test_sending_crash; here the living sender's cases."""

from __future__ import annotations

import smtplib
from collections import Counter

import pytest
from django.utils import timezone

from bounces.models import Bounce
from campaigns.models import Delivery, SendGroup
from campaigns.sending import engine, ledger, pace, sender
from stmails.config import update_settings
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import PipeliningSink, recipients
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

campaign_of = sending_helpers.campaign_of  # the fixture

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


def _serve(sink: Sink):
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    # 1 × 600 = 600 messages/s: groups of 6.
    update_settings({"app.concurrency": 1, "app.message_rate": 600})
    return controller


@pytest.fixture(params=["plain", "pipelining"])
def sink(request):
    sink = PipeliningSink() if request.param == "pipelining" else Sink()
    controller = _serve(sink)
    yield sink
    controller.stop()


@pytest.fixture
def pipelining_sink():
    sink = PipeliningSink()
    controller = _serve(sink)
    yield sink
    controller.stop()


def _emails(n: int) -> list[str]:
    return [f"s{i:02d}@x.org" for i in range(n)]


@pytest.fixture
def claims(monkeypatch):
    """Each claim_group call's rows, with what the table held just after it."""
    seen: list[dict] = []
    original = ledger.claim_group

    def spy(campaign_id, rows, now, previous=None):
        got = original(campaign_id, rows, now, previous)
        states = {
            d.email: (d.status, d.message_id)
            for d in Delivery.objects.filter(pk__in=[r[0] for r in rows])
        }
        groups = [(g.pk, sorted(g.deliveries)) for g in SendGroup.objects.all()]
        seen.append({"rows": rows, "got": got, "states": states, "groups": groups})
        return got

    monkeypatch.setattr(ledger, "claim_group", spy)
    return seen


def test_group_size_follows_the_rate():
    assert pace.group_size(100) == 1  # the default ceiling: one row at a time
    assert pace.group_size(600) == 6
    assert min(sender.CLAIM_GROUP, pace.group_size(100_000)) == sender.CLAIM_GROUP


def test_rows_are_claimed_a_group_at_a_time_with_their_message_ids(
    sink, campaign_of, claims
):
    campaign = campaign_of(*_emails(14))

    result = sender.send_campaign(campaign.pk)

    assert result.sent == 14
    assert recipients(sink) == _emails(14)
    assert [len(c["rows"]) for c in claims] == [6, 6, 2]
    for claim in claims:  # every row of the group is "sent" with its Message-ID
        assert {s for s, _ in claim["states"].values()} == {"sent"}
        assert all(mid.startswith("<") for _, mid in claim["states"].values())
        # Written down alone: the claim dropped the previous group.
        group_id, ids = claim["got"]
        assert claim["groups"] == [(group_id, sorted(r[0] for r in claim["rows"]))]
    assert not SendGroup.objects.exists()  # the last one dropped at the end
    rows = Delivery.objects.filter(campaign=campaign)
    assert {(d.status, d.smtp_code) for d in rows} == {("sent", 250)}
    assert {m["Message-ID"] for m in sink.messages} == {d.message_id for d in rows}


@pytest.fixture
def content_writes(monkeypatch):
    """Hooks run before each write that carries a message's content (both
    paths write through SMTP.send)."""
    hooks = []
    count = {"n": 0}
    original = smtplib.SMTP.send

    def send(conn, data):
        raw = data if isinstance(data, bytes) else data.encode()
        if b"\r\nMessage-ID: " in raw:
            count["n"] += 1
            for hook in hooks:
                hook(conn, count["n"])
        return original(conn, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    return hooks


def test_the_first_message_of_a_group_goes_out_after_the_whole_group_is_claimed(
    sink, campaign_of, content_writes
):
    campaign = campaign_of(*_emails(8))
    before: list[Counter] = []
    content_writes.append(
        lambda conn, n: before.append(
            Counter(Delivery.objects.values_list("status", flat=True))
        )
    )

    sender.send_campaign(campaign.pk)

    # Each group is claimed whole before its first message goes out.
    assert before[0] == Counter({"sent": 6, "queued": 2})
    assert before[6] == Counter({"sent": 8})


def test_a_refused_recipient_fails_alone_within_its_group(sink, campaign_of):
    update_settings({"bounce.enabled": True})
    sink.rcpt_replies["s03@x.org"] = "550 5.1.1 <s03@x.org>: No such user"
    campaign = campaign_of(*_emails(8))

    result = sender.send_campaign(campaign.pk)

    assert (result.sent, result.failed) == (7, 1)
    gone = Delivery.objects.get(email="s03@x.org")
    assert (gone.status, gone.smtp_code, gone.message_id) == ("failed", 550, "")
    assert Bounce.objects.get().email == "s03@x.org"
    assert recipients(sink) == [e for e in _emails(8) if e != "s03@x.org"]


def test_a_connection_lost_mid_group_queues_the_rest_unspent(
    sink, campaign_of, content_writes
):
    campaign = campaign_of(*_emails(8))

    def drop_at_third(conn, n):
        if n == 3:
            conn.close()
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    content_writes.append(drop_at_third)
    result = sender.send_campaign(campaign.pk, sleep=lambda seconds: None)

    # The run reconnects and goes on; the rows behind it come round again.
    got = Counter(rcpt for env in sink.envelopes for rcpt in env.rcpt_tos)
    assert sorted(got) == _emails(8) and set(got.values()) == {1}
    assert (result.sent, result.retried) == (8, 1)
    attempts = dict(Delivery.objects.values_list("email", "attempts"))
    # The message that met the broken connection spent an attempt; the rest
    # of its group went back to the queue untouched (one attempt each).
    assert attempts == {e: 2 if e == "s02@x.org" else 1 for e in _emails(8)}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_rows_another_slot_claimed_are_left_to_it(sink, campaign_of, monkeypatch):
    campaign = campaign_of(*_emails(8))
    original = ledger.claim_group

    def one_taken(campaign_id, rows, now, previous=None):
        taken = Delivery.objects.get(email="s01@x.org")
        if taken.status == "queued":  # the other slot is quicker for this one
            Delivery.objects.filter(pk=taken.pk).update(status="sending", attempts=7)
        return original(campaign_id, rows, now, previous)

    monkeypatch.setattr(ledger, "claim_group", one_taken)
    result = sender.send_campaign(campaign.pk)

    assert "s01@x.org" not in recipients(sink)
    assert result.sent == 7 and len(recipients(sink)) == 7
    taken = Delivery.objects.get(email="s01@x.org")
    assert (taken.status, taken.attempts, taken.message_id) == ("sending", 7, "")


def test_with_pipelining_each_content_carries_the_next_envelope(
    pipelining_sink, campaign_of, monkeypatch
):
    """RFC 2920 3.1: a message's content and the next envelope go out in one
    write, so a message costs one round trip."""
    campaign = campaign_of(*_emails(8))
    writes: list[bytes] = []
    original = smtplib.SMTP.send

    def send(conn, data):
        writes.append(data if isinstance(data, bytes) else data.encode())
        return original(conn, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    assert sender.send_campaign(campaign.pk).sent == 8

    contents = [w for w in writes if b"\r\nMessage-ID: " in w]
    assert len(contents) == 8
    # Groups of 6 and 2: all but each group's last carry the next envelope.
    carrying = [
        w.endswith(b"\r\nDATA\r\n") and b"\r\n.\r\nMAIL FROM:<" in w for w in contents
    ]
    assert carrying == [True] * 5 + [False] + [True] + [False]
    assert recipients(pipelining_sink) == _emails(8)


def test_a_campaign_with_a_group_still_going_out_is_not_finished(sink, campaign_of):
    campaign = campaign_of(*_emails(3))
    ids = list(Delivery.objects.values_list("pk", flat=True))
    group_id, claimed = ledger.claim_group(
        campaign.pk, [(i, 1, f"<m{i}@x.org>") for i in ids], timezone.now()
    )
    assert claimed == set(ids)

    assert not engine.finish_if_done(campaign.pk)  # every row says "sent"

    ledger.close_group(group_id)
    assert engine.finish_if_done(campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent) == ("finished", 3)
