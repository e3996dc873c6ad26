"""listmonk's PUT /api/campaigns/{id}/archive and POST /api/campaigns/{id}/preview/archive."""

from __future__ import annotations

import json

import pytest

from campaigns.models import Campaign, Template
from campaigns.services import create_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def finished():
    campaign = create_campaign(
        {"name": "Spring", "subject": "Spring news", "content_type": "html",
         "body": "<p>Hello {{ subscriber.name }} in {{ subscriber.attribs.city }}</p>"}
    )  # fmt: skip
    Campaign.objects.filter(pk=campaign.pk).update(status="finished")
    return campaign


def test_a_finished_campaign_is_published_to_the_archive(api_client, finished):
    layout = Template.objects.get(name="Default archive template")
    r = send(api_client, "put", f"/api/campaigns/{finished.pk}/archive", {
        "archive": True, "archive_slug": "spring", "archive_template_id": layout.pk,
        "archive_meta": {"name": "Reader", "attribs": {"city": "Oslo"}},
    })  # fmt: skip
    assert r.status_code == 200, r.content
    assert r.json()["data"] == {
        "archive": True,
        "archive_slug": "spring",
        "archive_template_id": layout.pk,
        "archive_meta": {"name": "Reader", "attribs": {"city": "Oslo"}},
    }
    finished.refresh_from_db()
    assert (finished.archive, finished.archive_slug, finished.status) == (
        True,
        "spring",
        "finished",
    )


def test_only_the_fields_sent_change(api_client, finished):
    send(api_client, "put", f"/api/campaigns/{finished.pk}/archive",
         {"archive": True, "archive_slug": "spring"})  # fmt: skip
    r = send(api_client, "put", f"/api/campaigns/{finished.pk}/archive",
             {"archive": False})  # fmt: skip
    assert r.json()["data"]["archive_slug"] == "spring"
    assert r.json()["data"]["archive"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"archive": "yes"}, "archive"),
        ({"archive_slug": "has space"}, "archive_slug"),
        ({"archive_meta": [1]}, "archive_meta"),
        ({"archive_template_id": 999999}, "archive_template_id"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_change_nothing(
    api_client, finished, body, field
):
    r = send(api_client, "put", f"/api/campaigns/{finished.pk}/archive", body)
    assert r.status_code in (400, 404)
    assert r.json()["message"].startswith(f"{field}:")
    finished.refresh_from_db()
    assert (finished.archive, finished.archive_slug) == (False, None)


def test_a_slug_taken_by_another_campaign_is_refused(api_client, finished):
    other = create_campaign({"name": "Other", "subject": "s", "archive_slug": "taken"})
    assert other.archive_slug == "taken"
    r = send(api_client, "put", f"/api/campaigns/{finished.pk}/archive",
             {"archive_slug": "taken"})  # fmt: skip
    assert r.status_code == 400 and r.json()["message"].startswith("archive_slug:")


def test_unknown_campaign_is_404(api_client):
    assert (
        send(api_client, "put", "/api/campaigns/999999/archive", {}).status_code == 404
    )


def test_archive_preview_renders_unsaved_meta_and_saves_nothing(api_client, finished):
    r = send(api_client, "post", f"/api/campaigns/{finished.pk}/preview/archive",
             {"archive_meta": {"name": "Preview Reader", "attribs": {"city": "Lima"}}})  # fmt: skip
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("text/html")
    assert "Hello Preview Reader in Lima" in r.content.decode()
    finished.refresh_from_db()
    assert finished.archive_meta == {}


def test_archive_preview_of_a_broken_body_is_a_400(api_client, finished):
    r = send(api_client, "post", f"/api/campaigns/{finished.pk}/preview/archive",
             {"body": "{% if %}"})  # fmt: skip
    assert r.status_code == 400
    assert "template error" in r.json()["message"]
