"""CSV export of /api/bounces: same filters and order as the list, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bounces.exports import CSV_HEADER, ROWS_PER_PIECE
from campaigns.models import Campaign


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def data(make_subscriber, make_bounce):
    spring = Campaign.objects.create(name='Spring, "new"')
    ann = make_subscriber("ann@example.com")
    bob = make_subscriber("bob@example.com")
    make_bounce(
        ann, created_at=datetime(2024, 8, 1, tzinfo=UTC), campaign=spring, meta={"a": 1}
    )
    make_bounce(
        bob, type="soft", source="ses", created_at=datetime(2024, 8, 2, tzinfo=UTC)
    )
    return {"spring": spring, "ann": ann}


def test_it_exports_csv_with_format_or_accept(api_client, data):
    by_format = rows(api_client.get("/api/bounces?format=csv"))
    by_accept = rows(api_client.get("/api/bounces", HTTP_ACCEPT="text/csv"))
    assert by_format == by_accept
    assert list(by_format[0]) == list(CSV_HEADER)
    assert [r["email"] for r in by_format] == ["bob@example.com", "ann@example.com"]
    ann = by_format[1]
    assert ann["campaign_name"] == 'Spring, "new"'  # quoted, not split
    assert ann["campaign_uuid"] == str(data["spring"].uuid)
    assert ann["created_at"] == "2024-08-01T00:00:00.000000Z"
    assert ann["subscriber_uuid"] == str(data["ann"].uuid)
    assert ann["type"] == "hard" and ann["source"] == "api"
    assert __import__("json").loads(ann["meta"]) == {"a": 1}
    assert by_format[0]["campaign_id"] == ""


def test_it_applies_the_filters_and_order_to_the_export(api_client, data):
    assert [
        r["source"] for r in rows(api_client.get("/api/bounces?format=csv&type=soft"))
    ] == ["ses"]
    assert [
        r["email"] for r in rows(api_client.get("/api/bounces?format=csv&order=asc"))
    ] == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert rows(api_client.get("/api/bounces?format=csv&from=2024-09-01")) == []
    assert api_client.get("/api/bounces?format=csv&type=x").status_code == 400


def test_it_streams_the_export_in_pieces(api_client, make_subscriber, make_bounce):
    s = make_subscriber()
    from bounces.models import Bounce

    Bounce.objects.bulk_create(
        Bounce(subscriber=s, type="soft", source="bulk")
        for _ in range(ROWS_PER_PIECE * 2 + 5)
    )
    response = api_client.get("/api/bounces?format=csv")
    pieces = list(response.streaming_content)
    # The header and every row arrive in several pieces, not as one built body.
    assert len(pieces) >= 3
    assert b"".join(pieces).count(b"\n") == ROWS_PER_PIECE * 2 + 5 + 1
