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


class PipeliningSink(Sink):
    """A sink that offers PIPELINING (RFC 2920) in its EHLO answer."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd hook)
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


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


@pytest.fixture
def campaign_of(make_list, make_subscriber, django_capture_on_commit_callbacks):
    """A started campaign (its tasks not run) to one new list of these addresses."""

    def make(*emails: str) -> Campaign:
        news = make_list()
        for address in emails:
            subscribe(make_subscriber(email=address), news)
        campaign = make_campaign(news)
        start(campaign, django_capture_on_commit_callbacks)
        return campaign

    return make


def recipients(sink: Sink) -> list[str]:
    return sorted(rcpt for env in sink.envelopes for rcpt in env.rcpt_tos)


def statuses(campaign: Campaign) -> dict[str, str]:
    return dict(
        Delivery.objects.filter(campaign=campaign).values_list("email", "status")
    )
