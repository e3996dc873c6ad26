"""The Analytics page and the campaign page's results."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.monitoring.analytics.helpers import D1, D2, bounce, campaign, clicks, views

pytestmark = pytest.mark.django_db


def bar_titles(html: str, chart_id: str) -> list[str]:
    figure = html.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    return re.findall(r"<title>([^<]+)</title>", figure)


def test_it_charts_the_chosen_campaigns(client_alice, make_subscriber):
    a, b = campaign("Alpha"), campaign("Beta")
    campaign("Not chosen")
    views(a, D1, 3)
    views(b, D2, 2)
    views(b, D2, 4, bot=True)
    clicks(a, "https://example.org/deal", D2, 2)
    bounce(b, make_subscriber(), D1)

    r = client_alice.get(
        f"/analytics?id={a.pk}&id={b.pk}&from=2024-01-01&to=2024-01-31"
    )

    assert r.status_code == 200
    html = r.content.decode()
    assert bar_titles(html, "chart-views") == [
        f"2024-01-10: 3 #{a.pk} Alpha",
        f"2024-01-11: 2 #{b.pk} Beta",
    ]
    assert bar_titles(html, "chart-clicks") == [f"2024-01-11: 2 #{a.pk} Alpha"]
    assert bar_titles(html, "chart-bounces") == [f"2024-01-10: 1 #{b.pk} Beta"]
    assert "https://example.org/deal" in html.split('id="top-links"')[1]
    assert (
        "Not chosen" not in html.split('id="analytics-totals"')[1].split("</table>")[0]
    )
    assert 'class="active">Analytics' in html


def test_bots_can_be_included(client_alice):
    a = campaign()
    views(a, D2, 4, bot=True)

    r = client_alice.get(f"/analytics?id={a.pk}&from=2024-01-01&to=2024-01-31&bots=on")

    assert bar_titles(r.content.decode(), "chart-views") == [
        f"2024-01-11: 4 #{a.pk} Jan"
    ]


def test_bad_dates_show_beside_the_field(client_alice):
    a = campaign()
    r = client_alice.get(f"/analytics?id={a.pk}&from=2024-02-01&to=2024-01-01")

    assert r.status_code == 400
    assert 'id="id_to-error"' in r.content.decode()


def test_an_unknown_campaign_id_is_a_form_error(client_alice):
    r = client_alice.get("/analytics?id=999999")
    assert r.status_code == 400
    assert 'id="id_id-error"' in r.content.decode()


def test_with_no_campaign_the_page_says_so(client_alice):
    r = client_alice.get("/analytics")
    assert r.status_code == 200
    assert "No campaigns yet" in r.content.decode()


def test_the_page_needs_a_login(client):
    assert client.get("/analytics").status_code == 302


def test_the_campaign_page_shows_views_clicks_bounces(client_alice, make_subscriber):
    a = campaign()
    start = D1  # its first 30 days are charted
    a.started_at = start
    a.save()
    views(a, start + timedelta(hours=1), 5)
    views(a, start + timedelta(hours=1), 7, bot=True)
    clicks(a, "https://example.org/x", start + timedelta(hours=2), 2)
    bounce(a, make_subscriber(), start + timedelta(hours=3))

    html = client_alice.get(f"/campaigns/{a.pk}/").content.decode()

    assert re.search(r'data-field="views">5<', html)
    assert re.search(r'data-field="clicks">2<', html)
    assert re.search(r'data-field="bounces">1<', html)
    assert bar_titles(html, "campaign-views") == [f"2024-01-10: 5 #{a.pk} Jan"]
    views(a, start + timedelta(days=31), 1)  # after the first 30 days
    html = client_alice.get(f"/campaigns/{a.pk}/").content.decode()
    assert len(bar_titles(html, "campaign-views")) == 1


def test_the_campaign_list_shows_views_and_clicks(client_alice):
    a = campaign()
    a.views, a.clicks = 41, 7
    a.save()

    html = client_alice.get("/campaigns/").content.decode()

    row = html.split(f'href="/campaigns/{a.pk}/"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row)[:2] == ["41", "7"]
