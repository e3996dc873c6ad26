"""/api/bounces and /api/subscribers/{id}/bounces: listmonk's shapes, filters, deletes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from bounces.models import Bounce
from campaigns.models import Campaign
from subscribers.models import Subscriber
from tests.conftest import ADMIN_PASSWORD, basic_auth


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 8, day, hour, tzinfo=UTC)


@pytest.fixture
def data(make_subscriber, make_bounce):
    """ann: hard (Aug 1, spring), soft (Aug 3); bob: complaint (Aug 2, mailbox)."""
    spring = Campaign.objects.create(name="Spring")
    ann = make_subscriber("Ann@Example.com")
    bob = make_subscriber("bob@example.com", status=Subscriber.Status.BLOCKLISTED)
    b1 = make_bounce(
        ann,
        type="hard",
        created_at=at(1),
        campaign=spring,
        meta={"k": "v"},
        reason="userunknown",
    )
    b2 = make_bounce(
        bob, type="complaint", source="pop3:box", created_at=at(2), reason="feedback"
    )
    b3 = make_bounce(
        ann, type="soft", created_at=at(3), status_code="4.2.2", reason="mailboxfull"
    )
    return {"spring": spring, "ann": ann, "bob": bob, "b": (b1, b2, b3)}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["data"]["results"]]


def test_it_lists_with_listmonks_envelope_and_item_shape(api_client, data):
    b1, b2, b3 = data["b"]
    r = api_client.get("/api/bounces")
    body = r.json()["data"]
    assert {k: body[k] for k in ("search", "query", "total", "per_page", "page")} == {
        "search": "", "query": "", "total": 3, "per_page": 20, "page": 1,
    }  # fmt: skip
    assert [i["id"] for i in body["results"]] == [
        b3.id,
        b2.id,
        b1.id,
    ]  # created_at desc
    item = body["results"][2]
    assert item == {
        "id": b1.id,
        "type": "hard",
        "source": "api",
        "meta": {"k": "v"},
        "created_at": "2024-08-01T12:00:00Z",
        "email": "Ann@Example.com",
        "subscriber_uuid": str(data["ann"].uuid),
        "subscriber_id": data["ann"].id,
        "subscriber_status": "enabled",
        "campaign": {
            "id": data["spring"].id,
            "uuid": str(data["spring"].uuid),
            "name": "Spring",
        },
        "status_code": "",
        "provider_message_id": "",
        "reason": "userunknown",
    }
    assert body["results"][0]["campaign"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("source=pop3:box", [1]),
        ("type=hard", [0]),
        ("type=hard&type=soft", [2, 0]),
        ("email=ann@example.COM", [2, 0]),
        ("from=2024-08-02", [2, 1]),
        ("to=2024-08-02", [1, 0]),
        ("from=2024-08-02T00:00:00Z&to=2024-08-02T23:00:00Z", [1]),
        ("order_by=created_at&order=asc", [0, 1, 2]),
        ("order_by=type&order=asc", [1, 0, 2]),
        ("order_by=email&order=asc", [0, 2, 1]),
        ("order_by=source&order=desc", [1, 2, 0]),
        ("order_by=nonsense", [2, 1, 0]),
    ],
)
def test_it_filters_and_orders(api_client, data, query, expected):
    b = data["b"]
    assert ids(api_client.get(f"/api/bounces?{query}")) == [b[i].id for i in expected]


def test_it_filters_by_campaign_and_subscriber(api_client, data):
    b1, b2, b3 = data["b"]
    spring = data["spring"]
    assert ids(api_client.get(f"/api/bounces?campaign_id={spring.id}")) == [b1.id]
    assert ids(api_client.get(f"/api/bounces?campaign_uuid={spring.uuid}")) == [b1.id]
    assert ids(api_client.get(f"/api/bounces?subscriber_id={data['bob'].id}")) == [
        b2.id
    ]
    r = api_client.get(
        "/api/bounces?order_by=campaign_name&order=asc&campaign_id=99999"
    )
    assert r.json()["data"]["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("campaign_id=x", "campaign_id"),
        ("campaign_uuid=nope", "campaign_uuid"),
        ("subscriber_id=1.5", "subscriber_id"),
        ("type=bounced", "type"),
        ("from=last-week", "from"),
        ("to=2024-13-45", "to"),
        ("page=two", "page"),
        ("per_page=many", "per_page"),
    ],
)
def test_it_refuses_bad_filters_naming_them(api_client, data, query, field):
    r = api_client.get(f"/api/bounces?{query}")
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}:")


def test_it_paginates(api_client, data):
    b1, b2, b3 = data["b"]
    r = api_client.get("/api/bounces?per_page=2&page=2")
    assert ids(r) == [b1.id]
    assert r.json()["data"]["total"] == 3 and r.json()["data"]["per_page"] == 2


def test_it_streams_everything_with_per_page_all(api_client, data):
    b1, b2, b3 = data["b"]
    r = api_client.get("/api/bounces?per_page=all&type=hard&type=soft")
    assert r.streaming
    body = __import__("json").loads(b"".join(r.streaming_content))
    assert [i["id"] for i in body["data"]["results"]] == [b3.id, b1.id]
    assert body["data"]["total"] == body["data"]["per_page"] == 2
    assert body["data"]["results"][1]["meta"] == {"k": "v"}
    assert body["data"]["results"][1]["campaign"]["name"] == "Spring"
    empty = api_client.get("/api/bounces?per_page=all&type=hard&source=none")
    assert (
        __import__("json").loads(b"".join(empty.streaming_content))["data"]["results"]
        == []
    )


def test_it_gets_one_bounce(api_client, data):
    b1 = data["b"][0]
    r = api_client.get(f"/api/bounces/{b1.id}")
    assert r.status_code == 200 and r.json()["data"]["id"] == b1.id
    assert r.json()["data"]["meta"] == {"k": "v"}
    assert api_client.get("/api/bounces/999999").status_code == 404


def test_it_lists_and_resets_a_subscribers_bounces(api_client, data):
    ann = data["ann"]
    b1, _, b3 = data["b"]
    r = api_client.get(f"/api/subscribers/{ann.id}/bounces")
    assert [i["id"] for i in r.json()["data"]] == [b3.id, b1.id]
    assert api_client.get("/api/subscribers/999999/bounces").status_code == 404
    assert api_client.delete(f"/api/subscribers/{ann.id}/bounces").json() == {
        "data": True
    }
    assert api_client.get(f"/api/subscribers/{ann.id}/bounces").json() == {"data": []}
    assert Bounce.objects.count() == 1


def test_it_deletes_one_several_or_all(api_client, data):
    b1, b2, b3 = data["b"]
    assert api_client.delete(f"/api/bounces/{b1.id}").json() == {"data": True}
    assert api_client.delete(f"/api/bounces/{b1.id}").status_code == 404
    r = api_client.delete(f"/api/bounces?id={b2.id}&id={b3.id}")
    assert r.json() == {"data": True}
    assert not Bounce.objects.exists()


def test_it_deletes_all_and_refuses_a_delete_without_target(api_client, data):
    r = api_client.delete("/api/bounces")
    assert r.status_code == 400 and r.json()["message"].startswith("id:")
    assert api_client.delete("/api/bounces?id=abc").status_code == 400
    assert Bounce.objects.count() == 3
    assert api_client.delete("/api/bounces?all=true").json() == {"data": True}
    assert not Bounce.objects.exists()


def test_it_blocklists_every_bounced_subscriber(api_client, data, make_subscriber):
    clean = make_subscriber("clean@example.com")
    assert api_client.put("/api/bounces/blocklist").json() == {"data": True}
    data["ann"].refresh_from_db()
    clean.refresh_from_db()
    assert data["ann"].status == "blocklisted"
    assert clean.status == "enabled"


def test_it_needs_credentials_and_takes_an_admins_basic_auth(data, alice):
    assert Client().get("/api/bounces").status_code == 401
    assert Client().delete("/api/bounces?all=true").status_code == 401
    admin = Client(HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD))
    assert admin.get("/api/bounces").json()["data"]["total"] == 3
    assert Bounce.objects.count() == 3


def test_it_filters_by_reason_and_names_a_bad_one(api_client, data):
    b1, b2, b3 = data["b"]
    assert ids(api_client.get("/api/bounces?reason=userunknown")) == [b1.id]
    assert ids(api_client.get("/api/bounces?reason=mailboxfull&reason=feedback")) == [
        b3.id,
        b2.id,
    ]
    r = api_client.get("/api/bounces?reason=nosuchreason")
    assert r.status_code == 400
    assert "reason" in r.json()["message"]


def test_the_csv_export_has_the_reason_column(api_client, data):
    r = api_client.get("/api/bounces?format=csv&order=asc")
    lines = b"".join(r.streaming_content).decode().splitlines()
    header = lines[0].split(",")
    column = header.index("reason")
    assert [line.split(",")[column] for line in lines[1:4]] == [
        "userunknown",
        "feedback",
        "mailboxfull",
    ]
