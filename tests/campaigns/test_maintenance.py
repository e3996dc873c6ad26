"""listmonk's maintenance: the /api/maintenance routes, their services and the
Settings → Maintenance page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import Campaign
from campaigns.tracking import gc
from campaigns.tracking.fold import recount
from campaigns.tracking.models import CampaignView, Link, LinkClick, TrackingHit
from subscribers import maintenance
from subscribers.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def people(make_list, make_subscriber):
    double = make_list("Double", optin="double")
    single = make_list("Single", optin="single")
    s = {
        "member": make_subscriber(email="member@x.org"),
        "orphan": make_subscriber(email="orphan@x.org"),
        "blocked": make_subscriber(email="blocked@x.org", status="blocklisted"),
        "old": make_subscriber(email="old@x.org"),
        "new": make_subscriber(email="new@x.org"),
        "single": make_subscriber(email="single@x.org"),
    }
    Subscription.objects.create(subscriber=s["member"], list=double, status="confirmed")
    Subscription.objects.create(
        subscriber=s["blocked"], list=single, status="unsubscribed"
    )
    for key, at in (("old", T0 - timedelta(days=30)), ("new", T0 + timedelta(days=1))):
        sub = Subscription.objects.create(subscriber=s[key], list=double)
        Subscription.objects.filter(pk=sub.pk).update(created_at=at)
    sub = Subscription.objects.create(subscriber=s["single"], list=single)
    Subscription.objects.filter(pk=sub.pk).update(created_at=T0 - timedelta(days=30))
    return s


def emails() -> list[str]:
    return sorted(Subscriber.objects.values_list("email", flat=True))


def test_it_deletes_blocklisted_subscribers(api_client, people):
    r = api_client.delete("/api/maintenance/subscribers/blocklisted")
    assert (r.status_code, r.json()) == (200, {"data": {"count": 1}})
    assert "blocked@x.org" not in emails()
    assert api_client.delete("/api/maintenance/subscribers/blocklisted").json() == {
        "data": {"count": 0}
    }


def test_it_deletes_orphans_in_batches(api_client, people, make_subscriber):
    for i in range(5):
        make_subscriber(email=f"lone{i}@x.org")
    assert maintenance.delete_subscribers_gc("orphan", batch=2) == 6
    assert emails() == [
        "blocked@x.org",
        "member@x.org",
        "new@x.org",
        "old@x.org",
        "single@x.org",
    ]
    r = api_client.delete("/api/maintenance/subscribers/orphan")
    assert r.json() == {"data": {"count": 0}}


def test_it_deletes_unconfirmed_double_optin_subscriptions_before_a_date(
    api_client, people
):
    r = api_client.delete(
        "/api/maintenance/subscriptions/unconfirmed?before_date=2024-03-01T00:00:00Z"
    )
    assert r.json() == {"data": {"count": 1}}
    left = set(Subscription.objects.values_list("subscriber__email", "status"))
    assert ("old@x.org", "unconfirmed") not in left
    assert {("new@x.org", "unconfirmed"), ("single@x.org", "unconfirmed")} <= left
    assert "old@x.org" in emails()  # the subscriber stays
    # before_date in a JSON body works too.
    r = api_client.delete(
        "/api/maintenance/subscriptions/unconfirmed",
        data='{"before_date": "2030-01-01T00:00:00+02:00"}',
        content_type="application/json",
    )
    assert r.json() == {"data": {"count": 1}}


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/maintenance/subscriptions/unconfirmed", "before_date"),
        (
            "/api/maintenance/subscriptions/unconfirmed?before_date=yesterday",
            "before_date",
        ),
        ("/api/maintenance/analytics/all", "before_date"),
        ("/api/maintenance/analytics/all?before_date=2024-13-45", "before_date"),
        ("/api/maintenance/analytics/bounces?before_date=2024-01-01", "type"),
        ("/api/maintenance/subscribers/everyone", "type"),
        ("/api/maintenance/subscribers/orphan?dry=1", "dry"),
    ],
)
def test_bad_maintenance_input_is_a_400_naming_the_field(api_client, url, field):
    r = api_client.delete(url)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}: ")


@pytest.fixture
def analytics():
    c = Campaign.objects.create(name="C", subject="S")
    link = Link.objects.create(url="https://x.org/")
    for at in (T0 - timedelta(days=2), T0 + timedelta(days=2)):
        CampaignView.objects.create(campaign=c, subscriber_id=1, created_at=at)
        LinkClick.objects.create(campaign=c, link=link, subscriber_id=1, created_at=at)
        for kind in ("view", "click"):
            TrackingHit.objects.create(kind=kind, campaign_uuid=c.uuid, created_at=at)
    recount({c.pk})
    c.refresh_from_db()
    assert (c.views, c.clicks) == (2, 2)
    return c


@pytest.mark.parametrize(
    "kind,views,clicks,hits",
    [("views", 1, 2, {"view": 1, "click": 2}), ("clicks", 2, 1, {"view": 2, "click": 1}),
     ("all", 1, 1, {"view": 1, "click": 1})],
)  # fmt: skip
def test_analytics_gc_deletes_before_the_date_and_recounts(
    api_client, analytics, kind, views, clicks, hits
):
    r = api_client.delete(
        f"/api/maintenance/analytics/{kind}?before_date=2024-03-01T00:00:00Z"
    )
    assert (r.status_code, r.json()) == (200, {"data": True})  # listmonk answers true
    analytics.refresh_from_db()
    assert (analytics.views, analytics.clicks) == (views, clicks)
    assert (CampaignView.objects.count(), LinkClick.objects.count()) == (views, clicks)
    left = {k: TrackingHit.objects.filter(kind=k).count() for k in ("view", "click")}
    assert left == hits


def test_analytics_gc_in_batches_counts_what_it_deleted(analytics):
    done = gc.delete_analytics("all", T0 + timedelta(days=3), batch=1)
    assert (done.views, done.clicks, done.hits) == (2, 2, 4)
    analytics.refresh_from_db()
    assert (analytics.views, analytics.clicks) == (0, 0)


def test_the_maintenance_page_shows_counts_and_runs_actions(
    client_alice, people, analytics
):
    page = client_alice.get("/settings/maintenance")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<span id="count-blocklisted">1</span>' in html
    assert '<span id="count-orphan">1</span>' in html
    assert '<span id="count-views">2</span>' in html
    assert "data-confirm=" in html
    assert 'href="/settings/maintenance"' in html  # the Settings tab
    r = client_alice.post(
        "/settings/maintenance", {"action": "subscribers-orphan"}, follow=True
    )
    assert "Deleted 1 orphan (in no list) subscriber(s)." in r.content.decode()
    assert "orphan@x.org" not in emails()
    r = client_alice.post(
        "/settings/maintenance",
        {"action": "analytics", "kind": "views", "analytics_before_date": "2024-03-01"},
        follow=True,
    )
    assert "Deleted 1 view(s) and 0 click(s)." in r.content.decode()
    r = client_alice.post(
        "/settings/maintenance",
        {"action": "subscriptions-unconfirmed", "before_date": "2024-03-01"},
        follow=True,
    )
    assert "Deleted 1 unconfirmed subscription(s)." in r.content.decode()


def test_the_maintenance_page_shows_errors_beside_the_field(client_alice):
    r = client_alice.post(
        "/settings/maintenance",
        {"action": "analytics", "kind": "views", "analytics_before_date": "soon"},
    )
    assert r.status_code == 400
    assert '<span class="error">must be an RFC 3339 time</span>' in r.content.decode()
    r = client_alice.post("/settings/maintenance", {"action": "drop-everything"})
    assert r.status_code == 400 and "unknown action" in r.content.decode()
