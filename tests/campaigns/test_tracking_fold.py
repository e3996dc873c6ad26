"""Folding raw hits into views and clicks: idempotent, privacy kept, bots flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaigns.models import Campaign, Delivery
from campaigns.tasks import fold_tracking_hits
from campaigns.tracking.fold import fold_batch, fold_hits
from campaigns.tracking.models import CampaignView, LinkClick, TrackingHit
from tests.campaigns.tracking_helpers import T0, campaign, hit, link

pytestmark = pytest.mark.django_db


def counts(c: Campaign) -> tuple[int, int]:
    c.refresh_from_db()
    return c.views, c.clicks


def test_it_folds_hits_into_rows_and_counters(make_subscriber):
    c, ann, lnk = campaign(), make_subscriber(), link()
    hit("view", c, ann)
    hit("view", c, ann, at=T0 + timedelta(hours=1))
    hit("click", c, ann, link_id=lnk.id, at=T0 + timedelta(minutes=5))

    result = fold_hits()

    assert (result.hits, result.views, result.clicks) == (3, 2, 1)
    assert counts(c) == (2, 1)
    assert not TrackingHit.objects.exists()
    click = LinkClick.objects.get()
    assert (click.campaign_id, click.link_id, click.subscriber_id) == (
        c.id,
        lnk.id,
        ann.id,
    )
    assert click.created_at == T0 + timedelta(
        minutes=5
    )  # the hit's time, not the fold's


def test_folding_twice_counts_the_same(make_subscriber):
    c, ann, lnk = campaign(), make_subscriber(), link()
    hit("view", c, ann)
    hit("click", c, ann, link_id=lnk.id, at=T0 + timedelta(minutes=1))

    fold_hits()
    first = (counts(c), CampaignView.objects.count(), LinkClick.objects.count())
    fold_hits()
    fold_tracking_hits()  # the beat task: the same service

    assert (counts(c), CampaignView.objects.count(), LinkClick.objects.count()) == first
    assert first == ((1, 1), 1, 1)


def test_it_folds_in_batches(make_subscriber):
    c, ann = campaign(), make_subscriber()
    for i in range(5):
        hit("view", c, ann, at=T0 + timedelta(minutes=i))

    assert fold_batch(limit=2).hits == 2
    assert counts(c) == (2, 0)
    assert fold_hits(limit=2).hits == 3
    assert counts(c) == (5, 0)


def test_without_individual_tracking_no_subscriber_is_stored(make_subscriber):
    c, ann, lnk = campaign(), make_subscriber(), link()
    hit("view", c, ann, individual=False)
    hit("click", c, ann, link_id=lnk.id, individual=False, at=T0 + timedelta(minutes=1))

    fold_hits()

    assert CampaignView.objects.get().subscriber_id is None
    assert LinkClick.objects.get().subscriber_id is None
    assert counts(c) == (1, 1)


def test_unknown_campaign_or_subscriber(make_subscriber):
    lnk = link()
    hit("click", None, None, link_id=lnk.id)  # a campaign that was deleted
    hit("view", None, None)  # a view has nothing to count on

    result = fold_hits()

    click = LinkClick.objects.get()
    assert (click.campaign_id, click.subscriber_id) == (None, None)
    assert (result.clicks, result.dropped) == (1, 1)
    assert not CampaignView.objects.exists()


def test_a_deleted_campaigns_rows_go_with_it(make_subscriber):
    c, ann = campaign(), make_subscriber()
    hit("view", c, ann)
    fold_hits()
    c.delete()
    assert not CampaignView.objects.exists()


# --- bots -------------------------------------------------------------------------


def reasons(model) -> list[str]:
    return list(
        model.objects.order_by("created_at").values_list("bot_reason", flat=True)
    )


@pytest.mark.parametrize(
    ("agent", "ip", "reason"),
    [
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            "",
            "user_agent",
        ),
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "",
            "user_agent",
        ),
        ("Mozilla/5.0", "", "apple_mpp"),
        (
            "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko)",
            "17.58.101.0/24",
            "apple_mpp",
        ),
        ("curl/8.5.0", "", "user_agent"),
        ("python-requests/2.31", "", "user_agent"),
        ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0", "", "user_agent"),
        ("", "", "user_agent"),
        (
            "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko)",
            "203.0.113.0/24",
            "",
        ),
    ],
)
def test_views_of_proxies_and_scripts_are_flagged(make_subscriber, agent, ip, reason):
    c = campaign()
    hit("view", c, make_subscriber(), user_agent=agent, ip_net=ip)

    fold_hits()

    assert reasons(CampaignView) == [reason]
    assert counts(c) == (0 if reason else 1, 0)  # kept, but not counted


def test_a_click_seconds_after_sending_is_a_scanner(make_subscriber):
    c, ann, bob, lnk = campaign(), make_subscriber(), make_subscriber(), link()
    for s in (ann, bob):
        Delivery.objects.create(
            campaign=c, subscriber_id=s.id, email=s.email, status="sent", sent_at=T0
        )
    hit("click", c, ann, link_id=lnk.id, at=T0 + timedelta(seconds=3))
    hit("click", c, bob, link_id=lnk.id, at=T0 + timedelta(minutes=10))

    fold_hits()

    assert reasons(LinkClick) == ["too_soon", ""]
    assert counts(c) == (0, 1)


def test_clicking_every_link_within_seconds_is_a_scanner(make_subscriber):
    c, ann, bob = campaign(), make_subscriber(), make_subscriber()
    links = [link(f"https://example.org/{i}") for i in range(3)]
    start = T0 + timedelta(hours=1)
    for i, lnk in enumerate(links):
        hit("click", c, ann, link_id=lnk.id, at=start + timedelta(seconds=i))
        # Bob reads, then clicks, a minute apart.
        hit("click", c, bob, link_id=lnk.id, at=start + timedelta(minutes=i))

    fold_hits()

    flagged = LinkClick.objects.filter(is_bot=True)
    assert set(flagged.values_list("subscriber_id", "bot_reason")) == {
        (ann.id, "every_link")
    }
    assert flagged.count() == 3
    assert counts(c) == (0, 3)


def test_the_every_link_rule_also_works_without_individual_tracking(make_subscriber):
    c, ann = campaign(), make_subscriber()
    for i in range(3):
        lnk = link(f"https://example.org/{i}")
        hit(
            "click",
            c,
            ann,
            link_id=lnk.id,
            individual=False,
            at=T0 + timedelta(hours=1, seconds=i),
        )

    fold_hits()

    assert set(reasons(LinkClick)) == {"every_link"}
    assert not LinkClick.objects.exclude(subscriber_id=None).exists()
