"""Campaigns, lists and a real SMTP sink for the sending engine's tests."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, CampaignList, Delivery
from campaigns.sending import engine
from subscribers.models import Subscription
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

FROM = "News <news@mail.example.org>"


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    sink.port = controller.port
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


def make_campaign(*lists, **kw) -> Campaign:
    kw.setdefault("name", "Spring news")
    kw.setdefault("subject", "Hello {{ subscriber.name }}")
    kw.setdefault("from_email", FROM)
    kw.setdefault("content_type", "html")
    kw.setdefault("body", "<p>Hi {{ subscriber.name }}</p>")
    campaign = Campaign.objects.create(**kw)
    for lst in lists:
        CampaignList.objects.create(campaign=campaign, list=lst, list_name=lst.name)
    return campaign


def subscribe(subscriber, lst, status="confirmed") -> None:
    Subscription.objects.create(subscriber=subscriber, list=lst, status=status)


def start(campaign: Campaign, capture) -> None:
    """Start without running the enqueued tasks (the tests run the sender)."""
    with capture(execute=False):
        engine.start_campaign(campaign.pk)
    campaign.refresh_from_db()


def recipients(sink: Sink) -> list[str]:
    return sorted(rcpt for env in sink.envelopes for rcpt in env.rcpt_tos)


def statuses(campaign: Campaign) -> dict[str, str]:
    return dict(
        Delivery.objects.filter(campaign=campaign).values_list("email", "status")
    )
