"""The dashboard's mail flow: each block's numbers, the period, bad input, query count."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bounces.models import Bounce, BounceAction, UnmatchedBounce
from campaigns.models import Campaign, Delivery
from monitoring.dashboard.flow import WEBHOOK_UNMATCHED, mail_flow
from monitoring.dashboard.period import DEFAULT_PERIOD, custom_period, preset_period
from stmails.config import update_settings
from stmails.models import OutgoingMail
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

WEEK = custom_period(date(2026, 11, 1), date(2026, 11, 7))
INSIDE = WEEK.start + timedelta(days=2)
BEFORE = WEEK.start - timedelta(seconds=1)


def bounce(sub, when, *, type="hard", source="api", campaign=None, **meta):
    return Bounce.objects.create(
        subscriber=sub, type=type, source=source, created_at=when, meta=meta,
        campaign=campaign, email=sub.email,
    )  # fmt: skip


def sent_mail(when, kind="system", status=OutgoingMail.Status.SENT):
    return OutgoingMail.objects.create(
        kind=kind, status=status, to_email="x@example.com", from_email="a@example.com",
        subject="S", text="T", message_id=f"<{kind}-{when.timestamp()}@x>", sent_at=when,
    )  # fmt: skip


def deliveries(campaign, *times, status=Delivery.Status.SENT):
    for i, when in enumerate(times):
        Delivery.objects.create(
            campaign=campaign, subscriber_id=1000 + Delivery.objects.count() + i,
            email=f"d{i}@example.com", status=status, sent_at=when,
        )  # fmt: skip


def action(sub, kind, when, reverted=False):
    return BounceAction.objects.create(
        subscriber=sub, email=sub.email, action=kind, bounce_type="hard",
        bounce_count=1, threshold=1, last_bounce_id=0, reason="test",
        created_at=when, reverted_at=when if reverted else None,
    )  # fmt: skip


def event(provider, key, when, *, status="ignored", type="hard"):
    return WebhookEvent.objects.create(
        provider=provider, event_key=key, status=status, type=type, received_at=when
    )


def row(flow, kind, key):
    return next(s for s in flow.sources if (s.kind, s.key) == (kind, key))


def test_it_counts_campaign_and_system_mail_sent_in_the_period():
    news = Campaign.objects.create(name="News", status="finished", sent=3)
    deliveries(news, INSIDE, INSIDE, BEFORE)
    deliveries(news, None, status=Delivery.Status.QUEUED)
    sent_mail(INSIDE, "optin")
    sent_mail(INSIDE, "optin")
    sent_mail(INSIDE, "tx")
    sent_mail(BEFORE, "tx")
    sent_mail(INSIDE, "tx", status=OutgoingMail.Status.FAILED)

    flow = mail_flow(WEEK)

    assert flow.campaign_sent == 2
    assert flow.system_sent == {"optin": 2, "tx": 1}
    assert flow.sent == 5
    assert sum(d.counts["campaign"] for d in flow.daily_sent) == 2
    assert sum(d.counts["system"] for d in flow.daily_sent) == 3


def test_it_counts_bounces_per_mailbox_provider_api_and_smtp(make_subscriber):
    sub = make_subscriber()
    bounce(sub, INSIDE, source="imap", mailbox="Main box")
    bounce(sub, INSIDE, source="pop", type="soft", mailbox="Main box")
    bounce(sub, INSIDE, source="pop", mailbox="Other box")
    bounce(sub, INSIDE, source="ses", type="complaint")
    bounce(sub, INSIDE, source="custom:acme", type="soft")
    bounce(sub, INSIDE, source="api")
    bounce(sub, INSIDE, source="my_script", type="soft")
    bounce(sub, INSIDE, source="smtp")
    bounce(sub, BEFORE, source="smtp")

    flow = mail_flow(
        WEEK, mailboxes=["Main box", "Idle box"], providers=["postmark"],
        custom_names={"acme": "Acme Mail"},
    )  # fmt: skip

    assert row(flow, "mailbox", "Main box").counts == {
        "hard": 1,
        "soft": 1,
        "complaint": 0,
    }
    assert row(flow, "mailbox", "Other box").recorded == 1
    # Configured sources are listed even without a bounce.
    assert row(flow, "mailbox", "Idle box").total == 0
    assert row(flow, "provider", "postmark").total == 0
    assert row(flow, "provider", "ses").counts["complaint"] == 1
    acme = row(flow, "provider", "custom:acme")
    assert (acme.label, acme.counts["soft"]) == ("Acme Mail (custom)", 1)
    api = row(flow, "api", "api")
    assert (api.counts["hard"], api.counts["soft"], api.detail) == (
        1,
        1,
        "api, my_script",
    )
    assert row(flow, "smtp", "smtp").recorded == 1
    assert flow.by_type == {"hard": 4, "soft": 3, "complaint": 1}
    assert [s.kind for s in flow.sources] == [
        "mailbox", "mailbox", "mailbox", "provider", "provider", "provider", "api", "smtp"
    ]  # fmt: skip
    assert sum(d.total for d in flow.daily_bounces) == 8


def test_it_counts_unmatched_bounces_by_source_and_reason():
    UnmatchedBounce.objects.create(
        reason="not_subscriber", mailbox_name="Main box", type="hard", created_at=INSIDE
    )
    UnmatchedBounce.objects.create(
        reason="unparseable", mailbox_name="Main box", created_at=INSIDE
    )
    UnmatchedBounce.objects.create(
        reason="not_subscriber", mailbox_name="Main box", created_at=BEFORE
    )
    event("ses", "e1", INSIDE, type="hard")
    event("ses", "e2", INSIDE, type="ignored")  # a delivery notice: not a bounce
    event("ses", "e3", INSIDE, status="processed")

    flow = mail_flow(WEEK, mailboxes=["Main box"])

    assert [(u.source, u.reason, u.count) for u in flow.unmatched] == [
        ("Amazon SES (SNS)", WEBHOOK_UNMATCHED, 1),
        ("Mailbox Main box", "message could not be parsed", 1),
        ("Mailbox Main box", "recipient is not a subscriber", 1),
    ]
    assert row(flow, "mailbox", "Main box").unmatched == 2
    assert row(flow, "provider", "ses").unmatched == 1
    assert (flow.matched, flow.unmatched_total, flow.received) == (0, 3, 3)
    assert flow.by_type == {"hard": 2, "soft": 0, "complaint": 0, "unknown": 1}


def test_it_counts_actions_and_the_undone_ones(make_subscriber):
    sub = make_subscriber()
    action(sub, "blocklist", INSIDE)
    action(sub, "blocklist", INSIDE, reverted=True)
    action(sub, "unsubscribe", INSIDE)
    action(sub, "delete", INSIDE)
    action(sub, "delete", BEFORE)

    flow = mail_flow(WEEK)

    assert flow.actions == {"blocklisted": 2, "unsubscribed": 1, "deleted": 1}
    assert flow.reverted == 1


def test_it_gives_rates_per_campaign_against_all_it_sent(make_subscriber):
    sub = make_subscriber()
    news = Campaign.objects.create(name="News", status="finished", sent=200)
    deliveries(news, INSIDE, INSIDE)
    for btype in ("hard", "hard", "soft", "complaint"):
        bounce(sub, INSIDE, type=btype, campaign=news)
    bounce(sub, BEFORE, campaign=news)  # another period's bounce
    old = Campaign.objects.create(name="Old", status="finished", sent=10)
    bounce(sub, BEFORE, campaign=old)
    late = Campaign.objects.create(name="Late bounces", status="finished", sent=50)
    bounce(sub, INSIDE, type="soft", campaign=late)
    unsent = Campaign.objects.create(name="Nothing sent")
    bounce(sub, INSIDE, type="soft", campaign=unsent)

    flow = mail_flow(WEEK)

    assert [c.name for c in flow.campaigns] == ["News", "Nothing sent", "Late bounces"]
    news_row = flow.campaigns[0]
    assert (news_row.sent_in_period, news_row.sent) == (2, 200)
    assert news_row.counts == {"hard": 2, "soft": 1, "complaint": 1}
    assert news_row.bounces_in_period == 4
    assert news_row.bounce_rate == pytest.approx(1.5)
    assert news_row.complaint_rate == pytest.approx(0.5)
    assert flow.campaigns[1].bounce_rate is None
    assert flow.campaigns[2].bounce_rate == pytest.approx(2.0)
    assert flow.more_campaigns == 0


def test_it_lists_the_busiest_campaigns_and_counts_the_rest(
    make_subscriber, monkeypatch
):
    monkeypatch.setattr("monitoring.dashboard.flow.CAMPAIGN_ROWS", 2)
    sub = make_subscriber()
    for n in (1, 3, 2):
        campaign = Campaign.objects.create(name=f"C{n}", sent=n)
        deliveries(campaign, *[INSIDE] * n)
        bounce(sub, INSIDE, campaign=campaign)

    flow = mail_flow(WEEK)

    assert [c.name for c in flow.campaigns] == ["C3", "C2"]
    assert flow.more_campaigns == 1


def test_the_period_includes_its_start_and_excludes_its_end(make_subscriber):
    sub = make_subscriber()
    bounce(sub, WEEK.start)
    bounce(sub, WEEK.end - timedelta(microseconds=1), type="soft")
    bounce(sub, WEEK.end, type="complaint")
    bounce(sub, BEFORE, type="complaint")
    news = Campaign.objects.create(name="News")
    deliveries(news, WEEK.start, WEEK.end)

    flow = mail_flow(WEEK)

    assert flow.by_type == {"hard": 1, "soft": 1, "complaint": 0}
    assert flow.campaign_sent == 1
    days = {d.day: d.total for d in flow.daily_bounces}
    assert (days[date(2026, 11, 1)], days[date(2026, 11, 7)]) == (1, 1)
    assert len(days) == 7


def test_presets_end_now():
    now = timezone.now()
    period = preset_period("24h", now)
    assert (period.start, period.end, period.label) == (
        now - timedelta(hours=24), now, "last 24 hours",
    )  # fmt: skip


# --- the page ---------------------------------------------------------------------------


def test_it_needs_a_login(client, alice):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_the_page_shows_totals_numbers_and_the_picture(client_alice, make_subscriber):
    sub = make_subscriber()
    now = timezone.now()
    bounce(sub, now - timedelta(hours=2), type="hard")
    bounce(sub, now - timedelta(days=3), type="soft", source="ses")
    sent_mail(now - timedelta(hours=1), "optin")

    day = client_alice.get("/?period=24h")
    week = client_alice.get("/?period=7d")

    assert day.status_code == week.status_code == 200
    assert day.context["flow"].by_type["hard"] == 1
    assert day.context["flow"].received == 1
    assert week.context["flow"].received == 2
    html = week.content.decode()
    assert 'id="total-bounces">2<' in html
    assert '<svg id="flow-picture"' in html
    for stage in ("sent", "types", "sources", "matching", "actions"):
        assert f'data-stage="{stage}"' in html
    assert re.search(r'data-segment="hard" data-n="1"', html)
    assert re.search(r'data-segment="soft" data-n="1"', html)
    assert 'data-source="provider:ses"' in html
    assert 'id="daily-sent"' in html and 'id="daily-bounces"' in html
    assert ">subscribers<" in html  # the totals stay
    assert week.context["nav"] == "dashboard"


def test_the_default_period_is_seven_days(client_alice):
    r = client_alice.get("/")
    assert r.context["period"].key == "7d"
    assert 'data-period="7d" class="active"' in r.content.decode()


def test_custom_dates_choose_whole_days(client_alice, make_subscriber):
    sub = make_subscriber()
    bounce(sub, INSIDE)
    bounce(sub, BEFORE)

    r = client_alice.get("/?from=2026-11-01&to=2026-11-07")

    assert r.status_code == 200
    assert (r.context["period"].start, r.context["period"].end) == (
        WEEK.start,
        WEEK.end,
    )
    assert r.context["flow"].received == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-13-45", "from", "Enter a valid date."),
        ("from=2026-11-08&to=2026-11-01", "to", "on or after the first day"),
        ("from=2024-01-01&to=2026-11-01", "to", "at most 366 days"),
        ("to=2026-11-01", "from", "Enter the first day"),
        ("period=custom", "from", "Enter the first day"),
        ("period=1y", "period", "Select a valid choice"),
    ],
)
def test_bad_period_input_is_a_form_error_beside_the_field(
    client_alice, query, field, message
):
    r = client_alice.get(f"/?{query}")

    assert r.status_code == 400
    assert message in " ".join(r.context["form"].errors[field])
    assert f'id="id_{field}-error"' in r.content.decode()
    # The page still shows, for the default period.
    assert r.context["period"].key == DEFAULT_PERIOD


def test_its_query_count_does_not_grow_with_rows(client_alice, make_subscriber):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client_alice.get("/").status_code == 200
        return len(ctx.captured_queries)

    def add_rows(n: int, mailboxes: int) -> None:
        now = timezone.now()
        update_settings(
            {
                "bounce.ses_enabled": True,
                "bounce.postmark": {"enabled": mailboxes > 1},
                "bounce.mailboxes": [
                    {"name": f"box{i}", "type": "imap", "host": "mail.example.test",
                     "username": f"b{i}"}
                    for i in range(mailboxes)
                ],
            }
        )  # fmt: skip
        for i in range(n):
            sub = make_subscriber()
            news = Campaign.objects.create(name=f"C{i}", sent=10)
            deliveries(news, now - timedelta(hours=i + 1))
            bounce(sub, now - timedelta(hours=i + 1), source=f"src{i}", campaign=news)
            bounce(sub, now, source="imap", mailbox=f"box{i}")
            event("ses", f"k{n}-{i}", now - timedelta(hours=i), status="processed")
            event("ses", f"u{n}-{i}", now - timedelta(hours=i))
            action(sub, "blocklist", now - timedelta(hours=1))
            sent_mail(now, f"kind{i}")

    add_rows(1, mailboxes=1)
    count_queries()  # the first request fills per-process caches (setup, logging)
    few = count_queries()
    add_rows(6, mailboxes=4)
    assert count_queries() == few


def test_the_picture_keeps_tiny_parts_visible_and_fills_each_bar():
    from monitoring.dashboard.chart import MIN_SEGMENT, flow_picture

    flow = mail_flow(WEEK)
    flow.campaign_sent, flow.system_sent = 100_000, {"optin": 1}

    picture = flow_picture(flow)

    sent = picture["stages"][0]
    assert [s.key for s in sent.segments] == ["campaign", "system-optin"]
    assert sent.segments[1].width >= MIN_SEGMENT - 0.01
    assert sum(s.width for s in sent.segments) == pytest.approx(
        picture["bar_w"], abs=0.05
    )
    assert sent.note == "0 came back as bounces (0.0 %)"
    assert [s.segments for s in picture["stages"][1:]] == [[], [], [], []]
    assert len(picture["arrows"]) == 4


def test_rates_leave_unmatched_bounces_out(make_subscriber):
    sub = make_subscriber()
    sent_mail(INSIDE, "tx")
    sent_mail(INSIDE, "tx")
    bounce(sub, INSIDE, type="soft")
    event("ses", "e1", INSIDE, type="hard")

    flow = mail_flow(WEEK)

    assert flow.by_type == {"hard": 1, "soft": 1, "complaint": 0}
    assert flow.recorded_by_type == {"hard": 0, "soft": 1, "complaint": 0}
    assert flow.bounce_rate == pytest.approx(50.0)
    assert flow.complaint_rate == 0


def test_system_mail_rows_read_as_words_not_internal_kinds(client_alice):
    now = timezone.now()
    sent_mail(now - timedelta(hours=1), "optin")
    sent_mail(now - timedelta(hours=2), "campaign_test")
    sent_mail(now - timedelta(hours=3), "some_new_kind")
    html = client_alice.get("/?period=7d").content.decode()
    row = html.split('id="flow-sent"', 1)[1].split("</table>", 1)[0]
    assert "<td>Opt-in confirmations</td>" in row
    assert "<td>Campaign test sends</td>" in row
    assert "<td>Some new kind mails</td>" in row
    assert "(system)" not in row and "optin" not in row.replace('"system-optin"', "")


def test_subscriber_totals_come_from_the_tallies(client_alice, make_subscriber):
    for status in ("enabled", "enabled", "blocklisted", "disabled"):
        make_subscriber(status=status)
    with CaptureQueriesContext(connection) as ctx:
        r = client_alice.get("/")
    assert r.context["subscriber_counts"] == {
        "enabled": 2,
        "blocklisted": 1,
        "disabled": 1,
    }
    assert r.context["subscriber_total"] == 4
    if connection.vendor == "postgresql":
        # Not a GROUP BY over every subscriber (subscribers.tallies).
        assert not [q for q in ctx.captured_queries if '"subscribers"' in q["sql"]]
