"""Campaign slots send through the servers that claim the campaign's From
address (listmonk's from_addresses), and pause msg_retry_delay after a
failed attempt that will be retried."""

from __future__ import annotations

import pytest

from campaigns.sending import engine, sender
from tests.campaigns.sending_helpers import make_campaign, recipients, start, subscribe
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]

UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
UUID_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


@pytest.fixture
def sinks():
    made = {}
    controllers = []
    for name in ("claimed", "general"):
        made[name] = Sink()
        controllers.append(start_sink(made[name]))
        made[name].port = controllers[-1].port
    yield made
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize(
    ("from_email", "expected"),
    [
        ("News <news@claimed.example>", "claimed"),
        ("News <news@other.example>", "general"),
    ],
)
def test_every_slot_of_a_campaign_uses_the_server_of_its_from(
    sinks, make_list, make_subscriber, django_capture_on_commit_callbacks,
    from_email, expected,
):  # fmt: skip
    use_servers(
        smtp_server(sinks["claimed"].port, uuid=UUID_A, max_conns=2,
                    from_addresses=["news@claimed.example"]),
        smtp_server(sinks["general"].port, uuid=UUID_B, max_conns=2),
    )  # fmt: skip
    news = make_list("News")
    for i in range(6):
        subscribe(make_subscriber(email=f"s{i}@example.com"), news)
    campaign = make_campaign(news, from_email=from_email)
    start(campaign, django_capture_on_commit_callbacks)
    # Slots are capped by the routed servers' connections, not all servers'.
    assert engine.slot_count(from_email) == 2

    for slot in range(2):
        sender.send_campaign(campaign.pk, slot=slot, slots=2)

    other = "general" if expected == "claimed" else "claimed"
    assert recipients(sinks[expected]) == [f"s{i}@example.com" for i in range(6)]
    assert sinks[other].envelopes == []


def test_a_retried_failure_pauses_for_the_servers_msg_retry_delay(
    sinks, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    sink = sinks["general"]
    sink.rcpt_replies["bob@example.com"] = "451 4.3.0 try again later"
    use_servers(
        smtp_server(sink.port, uuid=UUID_B, max_msg_retries=1, msg_retry_delay="2s")
    )
    news = make_list("News")
    subscribe(make_subscriber(email="bob@example.com"), news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)
    pauses: list[float] = []

    result = sender.send_campaign(campaign.pk, sleep=pauses.append)

    # Attempt 1 is retried (after the pause), attempt 2 is final: no pause.
    assert (result.retried, result.failed) == (1, 1)
    assert pauses.count(2.0) == 1
