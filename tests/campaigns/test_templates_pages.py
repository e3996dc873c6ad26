"""The template pages: list, editor (errors beside the field, live preview
endpoint), default, clone, delete."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Template

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]

LAYOUT = "<div class='layout'>{{ content }}</div>"


def default() -> Template:
    return Template.objects.get(is_default=True)


def test_it_lists_templates_with_use_counts_and_a_nav_link(client_alice):
    Campaign.objects.create(name="A", subject="s", template=default())
    Campaign.objects.create(name="B", subject="s", template=default())
    r = client_alice.get("/templates/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'href="/templates/" class="active"' in html
    row = html[html.index(f'id="template-{default().pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Default campaign template" in row and "2 campaigns" in row
    assert "default</span>" in row
    assert "Delete" not in row  # the default cannot be deleted


def test_it_creates_a_template_and_redirects_to_the_editor(client_alice):
    r = client_alice.post(
        "/templates/new", {"name": "Mine", "type": "campaign", "body": LAYOUT}
    )
    mine = Template.objects.get(name="Mine")
    assert r.status_code == 302 and r["Location"] == f"/templates/{mine.pk}/"
    page = client_alice.get(r["Location"]).content.decode()
    assert "Template Mine created." in page
    # The editor shows the saved template's preview without JavaScript too.
    assert 'srcdoc="&lt;div class=&#x27;layout&#x27;&gt;' in page


def test_a_syntax_error_shows_beside_the_body(client_alice):
    r = client_alice.post(
        "/templates/new",
        {"name": "Bad", "type": "campaign", "body": "{{ content }}{% nope %}"},
    )
    assert r.status_code == 400
    html = r.content.decode()
    error = html[html.index('id="id_body-error"') :]
    assert "template error: line 1: {% nope %}" in error[:300]
    assert not Template.objects.filter(name="Bad").exists()


def test_a_campaign_template_must_place_the_content(client_alice):
    r = client_alice.post(
        "/templates/new", {"name": "Bad", "type": "campaign", "body": "<p>x</p>"}
    )
    assert r.status_code == 400
    assert b'id="id_body-error"' in r.content and b"{{ content }}" in r.content


def test_it_edits_a_template(client_alice):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    r = client_alice.post(
        f"/templates/{mine.pk}/",
        {"name": "Renamed", "type": "campaign", "body": LAYOUT},
    )
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Renamed"


def test_the_live_preview_renders_the_unsaved_body(client_alice):
    r = client_alice.post("/templates/preview", {"type": "campaign", "body": LAYOUT})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert b"<div class='layout'>" in r.content and b"A sample campaign" in r.content
    r = client_alice.post(
        "/templates/preview", {"type": "campaign", "body": "{% if %}"}
    )
    assert r.status_code == 400 and r["Content-Type"].startswith("text/plain")


def test_the_live_preview_needs_csrf(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    r = client.post("/templates/preview", {"type": "campaign", "body": LAYOUT})
    assert r.status_code == 403


def test_it_sets_the_default(client_alice):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    r = client_alice.post(f"/templates/{mine.pk}/default")
    assert r.status_code == 302
    assert default() == mine


def test_it_clones_a_template(client_alice):
    r = client_alice.post(f"/templates/{default().pk}/clone")
    copy = Template.objects.get(name="Copy of Default campaign template")
    assert r["Location"] == f"/templates/{copy.pk}/"
    assert copy.body == default().body and copy.is_default is False


def test_delete_is_refused_while_in_use_and_says_by_which(client_alice):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    Campaign.objects.create(name="Spring sale", subject="s", template=mine)
    r = client_alice.post(f"/templates/{mine.pk}/delete", follow=True)
    assert Template.objects.filter(pk=mine.pk).exists()
    assert b"Spring sale" in r.content and b"not deleted" in r.content


def test_delete_removes_an_unused_template(client_alice):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    r = client_alice.post(f"/templates/{mine.pk}/delete")
    assert r.status_code == 302 and not Template.objects.filter(pk=mine.pk).exists()


def test_the_pages_need_a_login(client, alice):
    assert client.get("/templates/")["Location"].startswith("/login")
