"""Campaigns and their templates: the shipped default wraps new campaigns (with
the site name and unsubscribe, preferences and view-in-browser links), older
campaigns render as before, the no-unsubscribe warning, and clone."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from campaigns import template_services
from campaigns.models import Campaign, Template
from campaigns.rendering import MailLinks, Renderer, build_context
from campaigns.sending import sender
from campaigns.services import create_campaign
from stmails.config import update_settings
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import make_campaign, start, subscribe
from tests.conftest import require_service

sink = sending_helpers.sink  # the fixture
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]


def default() -> Template:
    return Template.objects.get(is_default=True)


def render_default(**links) -> str:
    renderer = Renderer(
        content_type="html", body="<p>Body</p>", template_body=default().body
    )
    ctx = build_context(
        {"name": "Ann"},
        {"subject": "Spring"},
        links=MailLinks(**links),
        site_name="Acme News",
    )
    return renderer.render(ctx).html


def test_the_default_template_has_the_site_name_content_and_footer_links():
    html = render_default(unsubscribe="https://x/u", message="https://x/v")
    assert "Acme News" in html and "<p>Body</p>" in html
    assert 'href="https://x/u"' in html and ">Unsubscribe<" in html
    # listmonk's ManageURL: the unsubscribe link asking for the preferences.
    assert 'href="https://x/u?manage=true"' in html and ">Manage preferences<" in html
    assert 'href="https://x/v"' in html and ">View in browser<" in html
    assert 'name="viewport"' in html and "max-width:600px" in html


def test_the_default_template_leaves_out_links_it_has_not_got():
    html = render_default()
    assert "Manage preferences" not in html and "View in browser" not in html


def test_the_shipped_templates_pass_their_own_checks():
    for t in Template.objects.all():
        data = {"name": t.name, "type": t.type, "subject": t.subject, "body": t.body}
        template_services.clean_template_fields(data)  # raises on any problem


def test_new_campaigns_get_the_default_older_ones_keep_none():
    old = Campaign.objects.create(name="Old", subject="s", body="<p>x</p>")
    new = create_campaign({"name": "New", "subject": "s", "body": "<p>x</p>"})
    wrapped = create_campaign(
        {
            "name": "W",
            "subject": "s",
            "body": "x",
            "template_body": "<b>{{ content }}</b>",
        }
    )
    assert (old.template, new.template, wrapped.template) == (None, default(), None)
    assert (
        old.wrapper_source() == ""
        and wrapped.wrapper_source() == "<b>{{ content }}</b>"
    )


def test_a_campaign_is_sent_inside_its_template(
    sink,
    make_list,
    make_subscriber,
    django_capture_on_commit_callbacks,
):
    update_settings({"app.site_name": "Acme News"})
    news = make_list()
    subscribe(make_subscriber(email="ann@x.org", name="Ann"), news)
    campaign = make_campaign(
        news, body="<p>Hi {{ subscriber.name }}</p>", template=default()
    )
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk, 0, 1).sent == 1
    html = sink.messages[0].get_body(("html",)).get_content()
    assert "Acme News" in html and "<p>Hi Ann</p>" in html
    assert "/subscription/unsubscribe/" in html  # the real, signed link
    assert "Manage preferences" in html


def test_a_campaign_without_template_is_sent_as_before(
    sink,
    make_list,
    make_subscriber,
    django_capture_on_commit_callbacks,
):
    news = make_list()
    subscribe(make_subscriber(email="ann@x.org", name="Ann"), news)
    campaign = make_campaign(news, body="<p>Hi {{ subscriber.name }}</p>")
    start(campaign, django_capture_on_commit_callbacks)
    sender.send_campaign(campaign.pk, 0, 1)
    html = sink.messages[0].get_body(("html",)).get_content()
    assert html.strip() == "<p>Hi Ann</p>"


def test_the_preview_uses_the_campaigns_template(client_alice):
    campaign = create_campaign(
        {"name": "N", "subject": "s", "body": "<p>Body</p>", "content_type": "html"}
    )
    html = client_alice.get(f"/campaigns/{campaign.pk}/preview").content.decode()
    assert "Manage preferences" in html and "&lt;p&gt;Body&lt;/p&gt;" in html


def test_the_campaign_form_offers_the_campaign_templates(client_alice, make_list):
    html = client_alice.get("/campaigns/new").content.decode()
    select = html[html.index('name="template_id"') :]
    select = select[: select.index("</select>")]
    assert (
        f'<option value="{default().pk}" selected>Default campaign template (default)'
        in select
    )
    assert "Sample transactional template" not in select  # tx templates wrap nothing
    lst = make_list("L")
    archive_tpl = Template.objects.get(name="Default archive template")
    r = client_alice.post("/campaigns/new", {
        "name": "Picked", "subject": "s", "lists": [lst.id], "content_type": "html",
        "body": "<p>x</p>", "template_id": archive_tpl.pk, "headers": "", "tags": "",
    })  # fmt: skip
    assert r.status_code == 302
    assert Campaign.objects.get(name="Picked").template == archive_tpl


# --- no unsubscribe link ------------------------------------------------------------


@pytest.fixture
def bare(make_list):
    lst = make_list("News")
    c = Campaign.objects.create(
        name="Bare", subject="Hi", body="<p>no link</p>", content_type="html"
    )
    c.campaign_lists.create(list=lst, list_name=lst.name)
    return c


def test_a_campaign_without_unsubscribe_link_warns(client_alice, bare):
    html = client_alice.get(f"/campaigns/{bare.pk}/").content.decode()
    assert 'id="no-unsubscribe-warning"' in html
    assert 'name="no_unsubscribe_ok"' in html
    bare.template = default()
    bare.save()
    html = client_alice.get(f"/campaigns/{bare.pk}/").content.decode()
    assert "no-unsubscribe-warning" not in html


@pytest.mark.parametrize(
    "body",
    [
        "<a href='{{ unsubscribe_url }}'>u</a>",
        "{{UnsubscribeURL}}",
        "{{ links.unsubscribe }}",
    ],
)
def test_any_unsubscribe_spelling_counts(body):
    assert Campaign(body=body).has_unsubscribe_link()


def test_starting_without_unsubscribe_link_needs_the_confirmation(client_alice, bare):
    r = client_alice.post(
        f"/campaigns/{bare.pk}/status", {"action": "start"}, follow=True
    )
    bare.refresh_from_db()
    assert bare.status == "draft"
    assert b"Send without an unsubscribe link" in r.content
    client_alice.post(
        f"/campaigns/{bare.pk}/status", {"action": "start", "no_unsubscribe_ok": "1"}
    )
    bare.refresh_from_db()
    assert bare.status == "running"


def test_the_api_still_starts_it_as_listmonk_does(api_client, bare):
    r = api_client.put(
        f"/api/campaigns/{bare.pk}/status",
        data=json.dumps({"status": "running"}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["data"]["status"] == "running"


# --- clone --------------------------------------------------------------------------


def test_clone_makes_a_draft_copy(client_alice, make_list):
    lst = make_list("News")
    original = create_campaign({
        "name": "Spring", "subject": "Hi", "body": "<p>x</p>", "content_type": "html",
        "lists": [lst.id], "headers": [{"X-Tag": "a"}], "tags": ["t"],
        "archive": True, "archive_slug": "spring",
    })  # fmt: skip
    Campaign.objects.filter(pk=original.pk).update(status="finished", sent=5)
    html = client_alice.get(f"/campaigns/{original.pk}/").content.decode()
    assert 'value="Copy of Spring"' in html
    r = client_alice.post(f"/campaigns/{original.pk}/clone", {"name": "Summer"})
    copy = Campaign.objects.get(name="Summer")
    assert r["Location"] == f"/campaigns/{copy.pk}/"
    assert (copy.status, copy.sent, copy.subject, copy.body) == (
        "draft",
        0,
        "Hi",
        "<p>x</p>",
    )
    assert (copy.headers, copy.tags, copy.template) == (
        [{"X-Tag": "a"}],
        ["t"],
        default(),
    )
    assert [cl.list_id for cl in copy.campaign_lists.all()] == [lst.id]
    assert copy.archive_slug is None and copy.uuid != original.uuid


def test_clone_without_a_name_says_copy_of(client_alice):
    original = Campaign.objects.create(name="Spring", subject="s")
    client_alice.post(f"/campaigns/{original.pk}/clone", {"name": " "})
    assert Campaign.objects.filter(name="Copy of Spring").exists()


def test_listmonk_clients_clone_through_the_api_with_template_id(api_client):
    mine = Template.objects.create(name="Mine", body="<i>{{ content }}</i>")
    original = create_campaign(
        {"name": "S", "subject": "s", "body": "b", "template_id": mine.pk}
    )
    data = api_client.get(f"/api/campaigns/{original.pk}").json()["data"]
    copy = {
        k: data[k]
        for k in ("subject", "body", "content_type", "headers", "tags", "template_id")
    }
    r = api_client.post(
        "/api/campaigns",
        data=json.dumps({**copy, "name": "Copy of S"}),
        content_type="application/json",
    )
    assert r.json()["data"]["template_id"] == mine.pk


# --- one default --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_set_default_leaves_exactly_one():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    if not Template.objects.exists():  # transactional tests flush the shipped rows
        Template.objects.create(name="D", body="{{ content }}", is_default=True)
    mine = [
        Template.objects.create(name=f"T{i}", body="{{ content }}") for i in range(6)
    ]
    barrier = threading.Barrier(len(mine))
    errors = []

    def worker(t):
        try:
            barrier.wait()
            template_services.set_default_template(t)
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in mine]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Template.objects.filter(is_default=True).count() == 1


def test_a_test_send_uses_the_template_and_an_unsaved_choice(make_subscriber):
    from campaigns.test_send import send_test
    from stmails.models import OutgoingMail

    make_subscriber(email="ann@example.com", name="Ann")
    mine = Template.objects.create(
        name="Mine", body="<i class='mine'>{{ content }}</i>"
    )
    campaign = create_campaign(
        {"name": "T", "subject": "s", "body": "<p>x</p>", "content_type": "html"}
    )
    send_test(campaign, ["ann@example.com"])
    send_test(campaign, ["ann@example.com"], {"template_id": mine.pk})
    first, second = OutgoingMail.objects.order_by("id")
    assert "Manage preferences" in first.html and "/subscription/" in first.html
    assert second.html.startswith("<i class='mine'><p>x</p>")


def test_a_clone_name_with_a_nul_is_refused(client_alice):
    original = Campaign.objects.create(name="Spring", subject="s")
    r = client_alice.post(
        f"/campaigns/{original.pk}/clone", {"name": "a\x00b"}, follow=True
    )
    assert b"must not contain NUL" in r.content
    assert Campaign.objects.count() == 1
    r = client_alice.post(
        f"/templates/{default().pk}/clone", {"name": "a\x00b"}, follow=True
    )
    assert b"must not contain NUL" in r.content
    assert Template.objects.filter(name__startswith="a").count() == 0


def test_the_manage_link_leads_to_the_preferences_page(
    client, alice, make_subscriber, make_list
):
    from urllib.parse import urlsplit

    from subscribers.links import unsubscribe_url

    ann = make_subscriber(email="ann@example.com")
    path = urlsplit(unsubscribe_url(ann, [make_list("News")])).path
    r = client.get(path + "?manage=true")
    assert r.status_code == 302
    target = urlsplit(r["Location"]).path
    assert target.startswith("/subscription/") and "/unsubscribe/" not in target
    assert client.get(target).status_code == 200
