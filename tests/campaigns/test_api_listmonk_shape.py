"""Campaign objects in listmonk's shape, and what listmonk's clients send."""

from __future__ import annotations

import json

import pytest

from campaigns.models import Campaign
from stmails.config import update_settings

pytestmark = pytest.mark.django_db

# listmonk's campaign object (docs/apis/campaigns.md and models.Campaign).
LISTMONK_KEYS = {
    "id", "created_at", "updated_at", "views", "clicks", "bounces", "lists",
    "started_at", "to_send", "sent", "uuid", "type", "name", "subject",
    "from_email", "body", "body_source", "altbody", "send_at", "status",
    "content_type", "tags", "headers", "template_id", "messenger", "media",
    "attribs", "archive", "archive_slug", "archive_template_id", "archive_meta",
}  # fmt: skip
# What PyPI listmonk 0.6.32's create_campaign(name, subject, list_ids={id})
# posts: CreateCampaignModel.model_dump(), explicit nulls included.
PYPI_CLIENT_CREATE = {
    "subject": "Our June update", "from_email": "", "type": None,
    "content_type": None, "body": None, "altbody": None, "send_at": None,
    "messenger": None, "template_id": None, "tags": [], "headers": [], "media": [],
}  # fmt: skip
# The client's Campaign model: fields without a default, and their types.
PYPI_CLIENT_REQUIRED = {
    "id": int, "created_at": str, "views": int, "clicks": int, "to_send": int,
    "sent": int, "uuid": str, "template_id": int,
}  # fmt: skip


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def body(make_list):
    return {
        "name": "Spring",
        "subject": "Hello",
        "lists": [make_list("Weekly").id],
        "content_type": "html",
        "body": "<p>Hi</p>",
        "tags": ["promo", "spring"],
    }


def test_the_campaign_object_has_listmonks_keys(api_client, body):
    data = send(api_client, "post", "/api/campaigns", body).json()["data"]
    assert set(data) == LISTMONK_KEYS | {"bounce_counts"}
    assert (data["views"], data["clicks"], data["bounces"]) == (0, 0, 0)
    assert data["bounce_counts"] == {"hard": 0, "soft": 0, "complaint": 0}
    assert (data["messenger"], data["body_source"], data["media"]) == (
        "email",
        None,
        [],
    )
    assert data["attribs"] == {}
    listing = api_client.get("/api/campaigns").json()["data"]["results"]
    assert set(listing[0]) == set(data)


def test_attribs_and_body_source_are_stored(api_client, body):
    extra = {"attribs": {"owner": "ann", "n": [1, 2]}, "body_source": "{}"}
    pk = send(api_client, "post", "/api/campaigns", {**body, **extra}).json()["data"][
        "id"
    ]
    data = api_client.get(f"/api/campaigns/{pk}").json()["data"]
    assert (data["attribs"], data["body_source"]) == (extra["attribs"], "{}")
    r = send(api_client, "put", f"/api/campaigns/{pk}", {"attribs": {"owner": "bob"}})
    assert r.json()["data"]["attribs"] == {"owner": "bob"}


def test_the_pypi_clients_create_campaign_is_accepted_once(api_client, make_list):
    lst = make_list("Default list")
    r = send(
        api_client,
        "post",
        "/api/campaigns",
        {"name": "June", "lists": [lst.id], **PYPI_CLIENT_CREATE},
    )
    assert r.status_code == 200, r.json()
    data = r.json()["data"]
    for key, kind in PYPI_CLIENT_REQUIRED.items():
        assert isinstance(data[key], kind), key
    assert (data["type"], data["content_type"], data["messenger"]) == (
        "regular", "richtext", "email",
    )  # fmt: skip
    assert Campaign.objects.count() == 1


def test_a_refused_create_writes_nothing(api_client, body):
    for bad in ({"media": [1]}, {"messenger": "sms"}, {"lists": [999999]}):
        r = send(api_client, "post", "/api/campaigns", {**body, **bad})
        assert r.status_code == 400
        assert r.json()["message"].startswith(f"{next(iter(bad))}: ")
    assert Campaign.objects.count() == 0


def test_from_email_defaults_to_the_configured_one(api_client, body):
    update_settings({"app.from_email": "Acme <news@acme.example>"})
    for given in ({}, {"from_email": ""}, {"from_email": None}):
        data = send(api_client, "post", "/api/campaigns", {**body, **given}).json()
        assert data["data"]["from_email"] == "Acme <news@acme.example>"
    data = send(
        api_client, "post", "/api/campaigns", {**body, "from_email": "Me <me@x.org>"}
    ).json()["data"]
    assert data["from_email"] == "Me <me@x.org>"


def test_no_body_blanks_the_bodies(api_client, body):
    pk = send(api_client, "post", "/api/campaigns", {**body, "altbody": "Hi"}).json()[
        "data"
    ]["id"]
    listing = api_client.get("/api/campaigns?no_body=true").json()["data"]["results"]
    assert (listing[0]["body"], listing[0]["altbody"]) == ("", "")
    one = api_client.get(f"/api/campaigns/{pk}?no_body=1").json()["data"]
    assert (one["body"], one["name"]) == ("", "Spring")
    full = api_client.get("/api/campaigns").json()["data"]["results"]
    assert full[0]["body"] == "<p>Hi</p>"
    r = api_client.get("/api/campaigns?no_body=maybe")
    assert r.status_code == 400 and r.json()["message"].startswith("no_body: ")


@pytest.mark.parametrize("param", ["tags", "tag", "tag[]", "tags[]"])
def test_it_filters_by_tags_all_of_them(api_client, body, param):
    for name, tags in (("A", ["promo"]), ("B", ["promo", "spring"]), ("C", [])):
        send(api_client, "post", "/api/campaigns", {**body, "name": name, "tags": tags})

    def names(url):
        return [c["name"] for c in api_client.get(url).json()["data"]["results"]]

    assert names(f"/api/campaigns?{param}=promo") == ["B", "A"]
    assert names(f"/api/campaigns?{param}=promo&{param}=spring") == ["B"]
    assert names(f"/api/campaigns?{param}=nothing") == []


def test_the_listing_echoes_the_query(api_client, body):
    send(api_client, "post", "/api/campaigns", body)
    data = api_client.get("/api/campaigns?query=spr").json()["data"]
    assert (data["query"], data["total"]) == ("spr", 1)


def test_it_deletes_campaigns_by_id_and_by_name(api_client, body):
    ids = [
        send(api_client, "post", "/api/campaigns", {**body, "name": n}).json()["data"][
            "id"
        ]
        for n in ("Alpha", "Beta", "Gamma one", "Gamma two")
    ]
    r = api_client.delete(f"/api/campaigns?id={ids[0]}&id={ids[1]}")
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert api_client.delete("/api/campaigns?query=gamma").status_code == 200
    assert Campaign.objects.count() == 0


def test_bulk_delete_refuses_a_running_campaign_and_deletes_nothing(api_client, body):
    a = send(api_client, "post", "/api/campaigns", body).json()["data"]["id"]
    b = send(api_client, "post", "/api/campaigns", body).json()["data"]["id"]
    Campaign.objects.filter(pk=b).update(status="running")
    r = api_client.delete(f"/api/campaigns?id={a}&id={b}")
    assert r.status_code == 400 and r.json()["message"].startswith("id: ")
    assert Campaign.objects.count() == 2


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/campaigns", "id"),
        ("/api/campaigns?id=x", "id"),
        ("/api/campaigns?id=1&bogus=1", "bogus"),
    ],
)
def test_bulk_delete_bad_input_names_the_field(api_client, url, field):
    r = api_client.delete(url)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}: ")
