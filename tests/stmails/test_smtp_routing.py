"""listmonk's from_addresses: a mail goes through the servers that claim its
From address (or domain), else through the servers that claim nothing."""

from __future__ import annotations

import pytest

from stmails import outbox, smtp_routing
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
UUID_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
UUID_C = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"


def server(name, from_addresses=(), enabled=True):
    return {"name": name, "enabled": enabled, "from_addresses": list(from_addresses)}


def names(servers):
    return [s["name"] for s in servers]


@pytest.mark.parametrize(
    ("from_email", "expected"),
    [
        ("News <news@a.example>", ["a"]),
        ("NEWS@A.EXAMPLE", ["a"]),
        ("Other <other@a.example>", ["general"]),  # a's entry is one address
        ("Team <team@b.example>", ["b", "b2"]),  # a domain entry, two servers
        ("x@sub.b.example", ["general"]),  # a domain is that domain only
        ("x@elsewhere.example", ["general"]),
        ("not an address", ["general"]),
    ],
)
def test_a_mail_goes_through_the_servers_that_claim_its_from(from_email, expected):
    servers = [
        server("a", ["news@a.example"]),
        server("b", ["b.example"]),
        server("general"),
        server("b2", ["x@y.example", "b.example"]),
        server("off", ["a.example"], enabled=False),
    ]
    assert names(smtp_routing.route(servers, from_email)) == expected


def test_disabled_servers_never_take_mail_and_nobody_is_left_stranded():
    servers = [server("a", ["a.example"], enabled=False), server("b", ["b.example"])]
    # No general server and no match: any enabled server, as listmonk does.
    assert names(smtp_routing.route(servers, "x@a.example")) == ["b"]
    assert smtp_routing.route([server("a", enabled=False)], "x@a.example") == []


@pytest.mark.parametrize(
    ("delay", "seconds"),
    [("10ms", 0.01), ("2s", 2.0), ("1m", 60.0), ("1h", 3600.0), ("", 0.01)],
)
def test_retry_delay_reads_listmonk_durations(delay, seconds):
    assert smtp_routing.retry_delay({"msg_retry_delay": delay}) == seconds


@pytest.fixture
def two_sinks(db):
    """Sink "a" claims a.example; sink "general" takes the rest."""
    sinks, controllers = {}, []
    for name in ("a", "general"):
        sinks[name] = Sink()
        controllers.append(start_sink(sinks[name]))
        sinks[name].port = controllers[-1].port
    use_servers(
        smtp_server(
            sinks["a"].port, uuid=UUID_A, from_addresses=["a.example"], name="email-a"
        ),
        smtp_server(sinks["general"].port, uuid=UUID_B),
    )
    yield sinks
    for controller in controllers:
        controller.stop()


@pytest.mark.smtp
def test_a_system_mail_goes_through_the_server_of_its_from_domain(
    two_sinks, django_capture_on_commit_callbacks
):
    sent = []
    # Several sends each: the round robin must never pick the other server.
    for i in range(3):
        for from_email in ("Alerts <alerts@a.example>", "Team <team@b.example>"):
            with django_capture_on_commit_callbacks(execute=True):
                mail = outbox.queue_mail(
                    to=f"ann{i}@example.com",
                    subject="Hello",
                    text="Hi",
                    from_email=from_email,
                )
            mail.refresh_from_db()
            sent.append(mail.status)

    assert sent == ["sent"] * 6
    assert {e.mail_from for e in two_sinks["a"].envelopes} == {"alerts@a.example"}
    assert {e.mail_from for e in two_sinks["general"].envelopes} == {"team@b.example"}
    assert len(two_sinks["a"].envelopes) == len(two_sinks["general"].envelopes) == 3


@pytest.mark.smtp
def test_a_system_mail_from_the_default_address_avoids_claimed_servers(
    two_sinks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail = outbox.queue_mail(to="ann@example.com", subject="Hi", text="Hi")
    mail.refresh_from_db()

    assert mail.status == "sent"
    assert two_sinks["a"].envelopes == []
    assert len(two_sinks["general"].envelopes) == 1
