"""The subscribers page's "Advanced query" box: listmonk's query grammar in the UI."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_subscriber):
    return [
        make_subscriber("ann@example.com", attribs={"city": "Oslo"}),
        make_subscriber("bob@example.com", attribs={"city": "Bergen"}),
        make_subscriber("cy@test.net", status="blocklisted"),
    ]


def page(client, **params):
    r = client.get("/subscribers/?" + urlencode(params))
    assert r.status_code == 200
    return r.content.decode()


def test_it_filters_by_an_advanced_query(client_alice, people):
    html = page(
        client_alice,
        query="subscribers.attribs->>'city' = 'Oslo' OR status = 'blocklisted'",
    )
    assert "ann@example.com" in html
    assert "cy@test.net" in html
    assert "bob@example.com" not in html
    assert '<details class="advanced-query" open>' in html


def test_it_combines_the_query_with_the_other_filters(client_alice, people):
    html = page(client_alice, query="email LIKE '%@example.com'", search="bob")
    assert "bob@example.com" in html
    assert "ann@example.com" not in html


def test_it_shows_the_query_error_beside_the_box(client_alice, people):
    html = page(client_alice, query="subscribers.password = 'x'")
    assert 'id="id_query-error"' in html
    assert "`subscribers.password` is not supported" in html
    assert 'aria-invalid="true"' in html
    assert "ann@example.com" not in html


def test_it_keeps_the_box_closed_without_a_query(client_alice, people):
    html = page(client_alice)
    assert '<details class="advanced-query">' in html
    assert 'id="id_query-error"' not in html


def test_select_all_matching_acts_on_the_query(client_alice, people):
    r = client_alice.post(
        "/subscribers/bulk",
        {
            "scope": "matching",
            "filter": urlencode({"query": "email LIKE '%@example.com'"}),
            "expected": "2",
            "action": "blocklist",
            "next": "/subscribers/",
        },
    )
    assert r.status_code == 302, r.content[:300]
    assert set(
        Subscriber.objects.filter(status="blocklisted").values_list("email", flat=True)
    ) == {"ann@example.com", "bob@example.com", "cy@test.net"}
