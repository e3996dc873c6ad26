"""listmonk's public archive: /archive, /archive/{slug|uuid}, /archive.xml and the
campaign fields that feed them."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from campaigns.models import Campaign, Template
from campaigns.services import create_campaign
from stmails.config import update_settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]


@pytest.fixture
def public(alice):
    """A visitor (not logged in) on an installed site with the archive on."""
    update_settings({"app.enable_public_archive": True})
    return Client()


def archived(name="Spring", status="finished", **kw) -> Campaign:
    fields = {"name": name, "subject": f"{name} subject", "content_type": "html",
              "body": "<p>Hello {{ subscriber.name }} from {{ subscriber.attribs.city }}</p>",
              "archive": True, "archive_meta": {"name": "Reader", "attribs": {"city": "Oslo"}}}  # fmt: skip
    campaign = create_campaign({**fields, **kw})
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    campaign.refresh_from_db()
    return campaign


def test_the_archive_is_off_by_default(client, alice):
    archived(archive_slug="spring")
    assert client.get("/archive").status_code == 404
    assert client.get("/archive/spring").status_code == 404
    assert client.get("/archive.xml").status_code == 404


def test_it_lists_archived_campaigns_newest_first(public):
    older = archived("Older")
    newer = archived("Newer", archive_slug="newer")
    Campaign.objects.filter(pk=older.pk).update(started_at="2030-01-01T00:00Z")
    Campaign.objects.filter(pk=newer.pk).update(started_at="2030-02-01T00:00Z")
    archived("Draft", status="draft")  # not sent: never public
    archived("Private", archive=False)
    html = public.get("/archive").content.decode()
    assert html.index("Newer subject") < html.index("Older subject")
    assert "Draft subject" not in html and "Private subject" not in html
    assert "/archive/newer" in html and f"/archive/{older.uuid}" in html


def test_the_archive_paginates(public):
    for i in range(23):
        archived(f"C{i:02d}")
    first = public.get("/archive").content.decode()
    second = public.get("/archive?page=2").content.decode()
    assert first.count("<li>") == 20 and second.count("<li>") == 3
    assert public.get("/archive?page=zzz").status_code == 200


def test_a_page_renders_with_its_meta_not_a_subscriber(public, make_subscriber):
    make_subscriber(email="real@example.com", name="Real Person")
    campaign = archived(archive_slug="spring")
    for key in ("spring", str(campaign.uuid)):
        r = public.get(f"/archive/{key}")
        assert r.status_code == 200
        html = r.content.decode()
        assert "<p>Hello Reader from Oslo</p>" in html
        assert "Real Person" not in html and "real@example.com" not in html


def test_a_page_uses_the_archive_template(public):
    layout = Template.objects.create(
        name="Archive", body="<main class='arch'>{{ content }}</main>"
    )
    campaign = archived(archive_template_id=layout.pk)
    html = public.get(f"/archive/{campaign.uuid}").content.decode()
    assert "<main class='arch'><p>Hello Reader" in html


def test_the_shipped_archive_template_has_no_subscriber_links(public):
    shipped = Template.objects.get(name="Default archive template")
    campaign = archived(archive_template_id=shipped.pk)
    html = public.get(f"/archive/{campaign.uuid}").content.decode()
    assert "Hello Reader" in html and "Unsubscribe" not in html


@pytest.mark.parametrize(
    "key", ["nope", str(uuid.uuid4()), "a" * 300, "..", "x'y", "%E2%80%AE"]
)
def test_unknown_or_malformed_addresses_are_404(public, key):
    archived(archive_slug="spring")
    assert public.get(f"/archive/{key}").status_code == 404


def test_a_nul_byte_is_refused_before_the_view(public):
    assert public.get("/archive/%00").status_code == 400  # the input middleware


def test_a_draft_is_not_public_even_with_its_address(public):
    campaign = archived(status="draft", archive_slug="secret")
    assert public.get("/archive/secret").status_code == 404
    assert public.get(f"/archive/{campaign.uuid}").status_code == 404


def test_the_rss_feed(public):
    archived(archive_slug="spring")
    r = public.get("/archive.xml")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/rss+xml")
    body = r.content.decode()
    assert "<title>Spring subject</title>" in body and "/archive/spring</link>" in body
    assert "Hello Reader" not in body  # full content only when the setting says so
    update_settings({"app.enable_public_archive_rss_content": True})
    assert "Hello Reader" in public.get("/archive.xml").content.decode()


# --- the campaign fields ------------------------------------------------------------


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


def test_the_api_reads_and_writes_the_archive_fields(api_client):
    layout = Template.objects.get(name="Default archive template")
    r = send(api_client, "post", "/api/campaigns", {
        "name": "A", "subject": "s", "body": "b", "archive": True, "archive_slug": "a-1",
        "archive_template_id": layout.pk, "archive_meta": {"name": "Reader"},
    })  # fmt: skip
    data = r.json()["data"]
    assert (data["archive"], data["archive_slug"], data["archive_template_id"]) == (
        True,
        "a-1",
        layout.pk,
    )
    assert data["archive_meta"] == {"name": "Reader"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"archive": "yes"}, "archive"),
        ({"archive_slug": "has space"}, "archive_slug"),
        ({"archive_slug": str(uuid.uuid4())}, "archive_slug"),
        ({"archive_slug": 5}, "archive_slug"),
        ({"archive_meta": "not json"}, "archive_meta"),
        ({"archive_meta": [1, 2]}, "archive_meta"),
        ({"archive_meta": {"attribs": "x"}}, "archive_meta"),
        ({"archive_template_id": "x"}, "archive_template_id"),
    ],
)
def test_bad_archive_fields_are_400_naming_the_field(api_client, body, field):
    r = send(
        api_client, "post", "/api/campaigns", {"name": "A", "subject": "s", **body}
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}:")


def test_a_slug_belongs_to_one_campaign(api_client):
    archived(archive_slug="taken")
    r = send(
        api_client,
        "post",
        "/api/campaigns",
        {"name": "B", "subject": "s", "archive_slug": "taken"},
    )
    assert r.status_code == 400 and r.json()["message"].startswith("archive_slug:")


def test_the_form_shows_a_meta_error_beside_the_field(client_alice):
    r = client_alice.post("/campaigns/new", {
        "name": "A", "subject": "s", "content_type": "html", "body": "b",
        "archive": "on", "archive_meta": "{broken", "headers": "", "tags": "",
    })  # fmt: skip
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_archive_meta-error"' in html and "valid JSON" in html


def test_archive_latest_is_the_newest(public):
    older = archived("Older")
    newer = archived("Newer")
    Campaign.objects.filter(pk=older.pk).update(started_at="2030-01-01T00:00Z")
    Campaign.objects.filter(pk=newer.pk).update(started_at="2030-02-01T00:00Z")
    r = public.get("/archive/latest")
    assert r.status_code == 200 and b"Hello Reader" in r.content
    r = Client(HTTP_AUTHORIZATION="Basic eDp5").get("/api/public/archive")
    assert r.status_code == 200  # public: credentials are not even read
    data = r.json()["data"]
    assert [c["subject"] for c in data["results"]] == ["Newer subject", "Older subject"]
    assert data["total"] == 2 and data["results"][0]["url"].endswith(
        f"/archive/{newer.uuid}"
    )


def test_the_public_archive_api_is_off_with_the_archive(client, alice):
    archived()
    assert client.get("/api/public/archive").status_code == 404


def test_latest_is_not_a_slug(api_client):
    r = send(
        api_client,
        "post",
        "/api/campaigns",
        {"name": "A", "subject": "s", "archive_slug": "Latest"},
    )
    assert r.status_code == 400 and r.json()["message"].startswith("archive_slug:")


def test_an_escaped_nul_in_the_meta_is_refused(client_alice):
    r = client_alice.post("/campaigns/new", {
        "name": "A", "subject": "s", "content_type": "html", "body": "b",
        "archive_meta": '{"name": "a\\u0000b"}', "headers": "", "tags": "",
    })  # fmt: skip
    assert r.status_code == 400
    assert b'id="id_archive_meta-error"' in r.content and b"NUL" in r.content
