"""The Bounces page: table, filters, sort, pagination, actions, chart, export link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bounces.chart import daily_counts, stacked_bars
from bounces.models import Bounce
from campaigns.models import Campaign
from stmails.config import update_settings
from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


def days_ago(n: int, hour: int = 12):
    now = timezone.localtime()
    return (now - timedelta(days=n)).replace(hour=hour, minute=0, second=0)


def emails_on_page(response) -> list[str]:
    return [b.subscriber.email for b in response.context["page"]]


def test_it_requires_login(alice):
    response = Client().get("/bounces/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_it_lists_bounces(client_alice, make_subscriber, make_bounce):
    sub = make_subscriber("ann@example.com", status="blocklisted")
    camp = Campaign.objects.create(name="Spring sale")
    make_bounce(sub, campaign=camp, source="my_script", type="soft", meta={"x": 1})
    response = client_alice.get("/bounces/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/subscribers/{sub.pk}/"' in html
    assert "ann@example.com" in html
    assert '<span class="badge blocklisted">blocklisted</span>' in html
    assert "Spring sale" in html
    assert "my_script" in html
    assert "bounce-soft" in html
    assert "&quot;x&quot;: 1" in html  # meta, expandable


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=soft", ["b@example.com"]),
        ("source=pop3%3Abox", ["c@example.com"]),
        ("email=A%40EXAMPLE.com", ["a@example.com"]),
        ("from={d5}", ["a@example.com", "b@example.com"]),
        ("to={d5}", ["c@example.com"]),
        ("from={d5}&to={d5}", []),
        ("type=hard&source=api", ["a@example.com"]),
    ],
)
def test_it_filters(client_alice, make_subscriber, make_bounce, query, expected):
    a, b, c = (make_subscriber(f"{x}@example.com") for x in "abc")
    make_bounce(a, type="hard", source="api", created_at=days_ago(1))
    make_bounce(b, type="soft", source="api", created_at=days_ago(2))
    make_bounce(c, type="hard", source="pop3:box", created_at=days_ago(9))
    d5 = days_ago(5).date().isoformat()
    response = client_alice.get("/bounces/?" + query.format(d5=d5))
    assert response.status_code == 200
    assert emails_on_page(response) == expected


def test_it_filters_by_campaign(client_alice, make_subscriber, make_bounce):
    camp = Campaign.objects.create(name="Autumn")
    a, b = make_subscriber(), make_subscriber()
    make_bounce(a, campaign=camp)
    make_bounce(b)
    response = client_alice.get(f"/bounces/?campaign_id={camp.pk}")
    assert emails_on_page(response) == [a.email]


def test_it_shows_bad_filters_beside_the_field(
    client_alice, make_bounce, make_subscriber
):
    make_bounce(make_subscriber())
    response = client_alice.get("/bounces/?from=yesterday&type=bogus")
    form = response.context["form"]
    assert "from" in form.errors and "type" in form.errors
    assert emails_on_page(response) == []
    assert response.context["total_bounces"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["c@example.com", "a@example.com", "b@example.com"]),
        (
            "order_by=email&order=asc",
            ["a@example.com", "b@example.com", "c@example.com"],
        ),
        (
            "order_by=email&order=desc",
            ["c@example.com", "b@example.com", "a@example.com"],
        ),
        (
            "order_by=type&order=asc",
            ["a@example.com", "c@example.com", "b@example.com"],
        ),
        (
            "order_by=created_at&order=asc",
            ["b@example.com", "a@example.com", "c@example.com"],
        ),
    ],
)
def test_it_sorts(client_alice, make_subscriber, make_bounce, query, expected):
    a, b, c = (make_subscriber(f"{x}@example.com") for x in "abc")
    make_bounce(a, type="complaint", created_at=days_ago(2))
    make_bounce(b, type="soft", created_at=days_ago(3))
    make_bounce(c, type="hard", created_at=days_ago(1))
    response = client_alice.get("/bounces/?" + query)
    assert emails_on_page(response) == expected


def test_it_flips_the_sort_link_of_the_active_column(client_alice):
    response = client_alice.get("/bounces/?order_by=email&order=asc&type=hard")
    links = {c["label"]: c["url"] for c in response.context["columns"]}
    assert "order=desc" in links["Email"] and "type=hard" in links["Email"]
    assert "order_by=source" in links["Source"] and "order=asc" in links["Source"]


def test_it_paginates_by_50(client_alice, make_subscriber, make_bounce):
    sub = make_subscriber()
    Bounce.objects.bulk_create(
        Bounce(subscriber=sub, type="hard", source="api", created_at=days_ago(1))
        for _ in range(51)
    )
    first = client_alice.get("/bounces/")
    second = client_alice.get("/bounces/?page=2")
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 1
    assert 'href="?page=2"' in first.content.decode()


def test_it_deletes_selected(client_alice, make_subscriber, make_bounce):
    sub = make_subscriber()
    keep, gone1, gone2 = (make_bounce(sub) for _ in range(3))
    response = client_alice.post(
        "/bounces/delete",
        {"id": [gone1.pk, gone2.pk], "next": "/bounces/?type=hard"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/bounces/?type=hard"
    assert list(Bounce.objects.values_list("id", flat=True)) == [keep.pk]


def test_it_refuses_an_offsite_next(client_alice, make_subscriber, make_bounce):
    b = make_bounce(make_subscriber())
    response = client_alice.post(
        "/bounces/delete", {"id": [b.pk], "next": "https://evil.example/"}
    )
    assert response["Location"] == "/bounces/"


def test_it_deletes_all_only_when_confirmed(client_alice, make_subscriber, make_bounce):
    sub = make_subscriber()
    for _ in range(3):
        make_bounce(sub)
    client_alice.post("/bounces/delete-all")
    assert Bounce.objects.count() == 3
    response = client_alice.post("/bounces/delete-all", {"confirm": "all"}, follow=True)
    assert Bounce.objects.count() == 0
    assert "Deleted all 3 bounce(s)." in response.content.decode()


def test_it_blocklists_all_bounced_subscribers(
    client_alice, make_subscriber, make_bounce
):
    bounced, clean = make_subscriber(), make_subscriber()
    make_bounce(bounced)
    response = client_alice.post("/bounces/blocklist", follow=True)
    bounced.refresh_from_db()
    clean.refresh_from_db()
    assert bounced.status == Subscriber.Status.BLOCKLISTED
    assert clean.status == Subscriber.Status.ENABLED
    assert "Blocklisted 1 bounced subscriber(s)" in response.content.decode()


def test_it_needs_post_for_actions(client_alice):
    for url in ("/bounces/delete", "/bounces/delete-all", "/bounces/blocklist"):
        assert client_alice.get(url).status_code == 405


def test_it_warns_when_bounce_processing_is_off(client_alice):
    response = client_alice.get("/bounces/")
    html = response.content.decode()
    assert "Bounce processing is disabled: nothing is recorded." in html
    assert 'href="/settings/bounces"' in html
    update_settings({"bounce.enabled": True})
    assert (
        "Bounce processing is disabled"
        not in client_alice.get("/bounces/").content.decode()
    )


def test_it_links_the_csv_export_with_the_filters(
    client_alice, make_subscriber, make_bounce
):
    a, b = make_subscriber("a@example.com"), make_subscriber("b@example.com")
    make_bounce(a, type="hard")
    make_bounce(b, type="soft")
    response = client_alice.get("/bounces/?type=soft&order_by=email&order=asc")
    url = response.context["export_url"]
    assert (
        url.startswith("/api/bounces?") and "format=csv" in url and "type=soft" in url
    )
    export = client_alice.get(url)
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert "b@example.com" in body and "a@example.com" not in body


def test_it_counts_bounces_per_day_per_type(make_subscriber, make_bounce):
    sub = make_subscriber()
    for kind, n_ago in [("hard", 1), ("hard", 1), ("soft", 1), ("complaint", 3)]:
        make_bounce(sub, type=kind, created_at=days_ago(n_ago))
    make_bounce(sub, type="hard", created_at=days_ago(40))  # outside the range
    today = timezone.localdate()
    days = daily_counts(Bounce.objects.all(), today - timedelta(days=29), today)
    assert len(days) == 30
    by_day = {d.day: d.counts for d in days if d.total}
    assert by_day == {
        today - timedelta(days=1): {"hard": 2, "soft": 1, "complaint": 0},
        today - timedelta(days=3): {"hard": 0, "soft": 0, "complaint": 1},
    }


def test_it_draws_the_filtered_range(client_alice, make_subscriber, make_bounce):
    a, b = make_subscriber(), make_subscriber()
    make_bounce(a, type="hard", created_at=days_ago(60))
    make_bounce(a, type="soft", created_at=days_ago(61))
    make_bounce(b, type="hard", created_at=days_ago(60))
    start = days_ago(62).date()
    end = days_ago(58).date()
    response = client_alice.get(
        f"/bounces/?from={start.isoformat()}&to={end.isoformat()}&email={a.email}"
    )
    chart = response.context["chart"]
    assert {k["type"]: k["total"] for k in chart["legend"]} == {
        "hard": 1,
        "soft": 1,
        "complaint": 0,
    }
    assert (response.context["chart_start"], response.context["chart_end"]) == (
        start,
        end,
    )
    html = response.content.decode()
    assert f"<title>{days_ago(60).date().isoformat()}: 1 hard</title>" in html


def test_it_stacks_bars_in_proportion():
    from bounces.chart import Day

    today = timezone.localdate()
    days = [
        Day(today - timedelta(days=1), {"hard": 2, "soft": 2, "complaint": 0}),
        Day(today, {"hard": 1, "soft": 0, "complaint": 0}),
    ]
    svg = stacked_bars(days, height=124)  # a 100-pixel plot
    assert svg["top"] == 5
    heights = [(b.title.split(": ")[1], b.height) for b in svg["bars"]]
    assert heights == [("2 hard", 40.0), ("2 soft", 40.0), ("1 hard", 20.0)]
    hard, soft = svg["bars"][:2]
    assert soft.y + soft.height == hard.y  # soft sits on top of hard


def test_it_shows_and_filters_the_reason(client_alice, make_subscriber, make_bounce):
    a, b = (make_subscriber(f"{x}@example.com") for x in "ab")
    make_bounce(a, type="hard", reason="userunknown")
    make_bounce(b, type="soft", reason="mailboxfull")
    response = client_alice.get("/bounces/")
    html = response.content.decode()
    assert ">Reason<" in html
    assert '<td class="mono">userunknown</td>' in html
    assert '<option value="mailboxfull">' in html  # the filter's choices
    response = client_alice.get("/bounces/?reason=mailboxfull")
    assert emails_on_page(response) == ["b@example.com"]
