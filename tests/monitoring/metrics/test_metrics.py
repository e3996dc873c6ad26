"""GET /metrics: Prometheus text format, figures from the tables, token / IP access."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from bounces.models import Bounce, MailboxScan, UnmatchedBounce
from monitoring.metrics.exposition import Metric, render
from stmails.config import REGISTRY, SettingsError, get_value, update_settings
from stmails.models import OutgoingMail, Setting
from webhooks.models import WebhookEvent

SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? '
    r"(-?[0-9.eE+]+|NaN|[+-]Inf)$"
)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse(text: str) -> tuple[dict, dict]:
    """(samples {(name, frozenset(labels)): value}, types {name: type}); asserts format."""
    samples: dict = {}
    helps: set = set()
    types: dict = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name = match.group(1)
            assert name in helps and name in types, f"{name} without HELP/TYPE"
            labels = frozenset(LABEL.findall(match.group(2) or ""))
            samples[(name, labels)] = float(match.group(3))
    return samples, types


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def loopback(db):
    return Client()  # the test client's REMOTE_ADDR is 127.0.0.1


@pytest.fixture
def outsider(db):
    return Client(REMOTE_ADDR="10.0.0.9")


def test_it_serves_parseable_text_with_help_and_type(loopback):
    response = loopback.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    _, types = parse(response.content.decode())
    assert types["stmails_bounces_total"] == "counter"
    assert types["stmails_outgoing_mail"] == "gauge"
    assert set(types) >= {
        "stmails_webhook_events_total",
        "stmails_mailbox_scans_total",
        "stmails_campaign_deliveries",
        "stmails_messages_sent_total",
        "stmails_unmatched_bounces_total",
        "stmails_subscribers",
    }


def test_it_counts_rows_by_their_labels(loopback, make_subscriber):
    who = make_subscriber()
    make_subscriber(status="blocklisted")
    for btype, source in [("hard", "ses"), ("hard", "ses"), ("soft", "mailbox")]:
        Bounce.objects.create(subscriber=who, type=btype, source=source)
    for n, status in enumerate(["processed", "processed", "failed"]):
        WebhookEvent.objects.create(
            provider="sendgrid", event_key=f"k{n}", status=status, type="hard"
        )
    # Unknown addresses end as ignored; a delivery notice is ignored too, but
    # it is no bounce.
    for n, btype in enumerate(["hard", "soft", "ignored"]):
        WebhookEvent.objects.create(
            provider="postmark", event_key=f"u{n}", status="ignored", type=btype
        )
    MailboxScan.objects.create(
        mailbox_uuid=uuid.uuid4(), mailbox_name='Main "box"', status="finished"
    )
    UnmatchedBounce.objects.create(reason=UnmatchedBounce.Reason.NO_RECIPIENT)
    for status in ["sent", "sent", "queued"]:
        OutgoingMail.objects.create(
            status=status, to_email="a@b.c", from_email="x@y.z", subject="s", text="t"
        )

    samples, _ = parse(loopback.get("/metrics").content.decode())

    assert value(samples, "stmails_bounces_total", type="hard", source="ses") == 2
    assert value(samples, "stmails_bounces_total", type="soft", source="mailbox") == 1
    assert (
        value(
            samples,
            "stmails_webhook_events_total",
            provider="sendgrid",
            status="processed",
        )
        == 2
    )
    # The quote in the mailbox name is escaped in the label value.
    assert (
        value(
            samples,
            "stmails_mailbox_scans_total",
            mailbox='Main \\"box\\"',
            status="finished",
        )
        == 1
    )
    assert value(samples, "stmails_unmatched_bounces_total") == 1
    assert (
        value(samples, "stmails_unmatched_webhook_events_total", provider="postmark")
        == 2
    )
    assert value(samples, "stmails_outgoing_mail", status="queued") == 1
    assert value(samples, "stmails_messages_sent_total") == 2
    assert value(samples, "stmails_subscribers", status="enabled") == 1
    assert value(samples, "stmails_subscribers", status="blocklisted") == 1


def test_it_escapes_label_values_and_help():
    text = render([Metric("m", "gauge", "a\\b\nc", [((("l", 'x"y\\z\nw'),), 1.5)])])
    assert text == '# HELP m a\\\\b\\nc\n# TYPE m gauge\nm{l="x\\"y\\\\z\\nw"} 1.5\n'


def test_it_refuses_an_address_outside_the_allow_list(outsider):
    response = outsider.get("/metrics")
    assert response.status_code == 403
    assert "allowed_ips" in response.content.decode()


def test_it_accepts_the_right_bearer_token_only(outsider):
    update_settings({"metrics.token": "s3cret-token"})
    ok = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    bad = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert ok.status_code == 200
    assert "stmails_bounces_total" in ok.content.decode()
    assert bad.status_code == 403
    assert "invalid metrics token" in bad.content.decode()


def test_it_accepts_an_allowed_range(outsider):
    update_settings({"metrics.allowed_ips": ["10.0.0.0/8"]})
    assert outsider.get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.168.1.1").get("/metrics").status_code == 403


def test_it_stores_the_token_encrypted(db):
    update_settings({"metrics.token": "s3cret-token"})
    stored = Setting.objects.get(key="metrics.token").value
    assert "s3cret-token" not in str(stored)
    assert get_value("metrics.token") == "s3cret-token"
    assert REGISTRY["metrics.token"].secret


def test_it_rejects_a_bad_network(db):
    with pytest.raises(SettingsError) as error:
        update_settings({"metrics.allowed_ips": ["not-an-ip"]})
    assert error.value.field == "metrics.allowed_ips[0]"


def test_it_needs_no_admin_account(loopback):
    # No admin exists: the first-run redirect to /setup must not catch /metrics.
    assert loopback.get("/metrics").status_code == 200


def test_settings_metrics_page_sets_the_token_and_ranges(client_alice):
    page = client_alice.get("/settings/metrics")
    assert page.status_code == 200
    assert "Metrics bearer token" in page.content.decode()
    r = client_alice.post(
        "/settings/metrics",
        {"metrics__token": "scrape-me", "metrics__allowed_ips": '["10.0.0.0/8"]'},
    )
    assert r.status_code == 302
    assert get_value("metrics.token") == "scrape-me"
    assert get_value("metrics.allowed_ips") == ["10.0.0.0/8"]
    shown = client_alice.get("/settings/metrics").content.decode()
    assert "scrape-me" not in shown  # masked when read back
    bad = client_alice.post(
        "/settings/metrics", {"metrics__token": "", "metrics__allowed_ips": '["x"]'}
    )
    assert bad.status_code == 400
    assert "must be an IP address or a CIDR range" in bad.content.decode()
