"""/api/templates, as listmonk's: shapes, previews, default, and bad input."""

from __future__ import annotations

import json

import pytest

from campaigns.models import Campaign, Template

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_templates")]

LAYOUT = "<html><body><h1>{{ site_name }}</h1>{{ content }}<a href='{{ unsubscribe_url }}'>u</a></body></html>"
FIELDS = {"id", "created_at", "updated_at", "name", "type", "subject", "body",
          "body_source", "is_default"}  # fmt: skip


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


def default() -> Template:
    return Template.objects.get(is_default=True)


def test_it_lists_the_shipped_templates_in_listmonks_shape(api_client):
    r = api_client.get("/api/templates")
    assert r.status_code == 200
    data = r.json()["data"]
    assert [(t["name"], t["type"], t["is_default"]) for t in data] == [
        ("Default campaign template", "campaign", True),
        ("Default archive template", "campaign", False),
        ("Sample transactional template", "tx", False),
    ]
    assert set(data[0]) == FIELDS
    assert "{{ content }}" in data[0]["body"]


def test_no_body_leaves_the_bodies_out(api_client):
    data = api_client.get("/api/templates?no_body=true").json()["data"]
    assert {t["body"] for t in data} == {""}
    one = api_client.get(f"/api/templates/{default().pk}?no_body=true").json()["data"]
    assert one["body"] == "" and one["name"] == "Default campaign template"


def test_it_creates_reads_updates_and_deletes_a_template(api_client):
    r = send(api_client, "post", "/api/templates",
             {"name": "Mine", "type": "campaign", "body": LAYOUT, "subject": "ignored"})  # fmt: skip
    assert r.status_code == 200, r.json()
    created = r.json()["data"]
    assert set(created) == FIELDS
    # A campaign's subject is its own: listmonk clears a campaign template's.
    assert (created["name"], created["subject"], created["is_default"]) == (
        "Mine",
        "",
        False,
    )
    pk = created["id"]
    assert api_client.get(f"/api/templates/{pk}").json()["data"]["body"] == LAYOUT
    r = send(api_client, "put", f"/api/templates/{pk}", {"name": "Renamed"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Renamed"
    assert r.json()["data"]["body"] == LAYOUT
    r = api_client.delete(f"/api/templates/{pk}")
    assert r.status_code == 200 and r.json() == {"data": True}
    assert not Template.objects.filter(pk=pk).exists()


def test_a_tx_template_needs_a_subject(api_client):
    r = send(api_client, "post", "/api/templates",
             {"name": "Receipt", "type": "tx", "body": "<p>{{ tx_data.total }}</p>"})  # fmt: skip
    assert r.status_code == 400
    assert r.json()["message"].startswith("subject:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "campaign", "body": LAYOUT}, "name"),
        ({"name": "x", "type": "newsletter", "body": LAYOUT}, "type"),
        ({"name": "x", "type": "campaign", "body": "<p>no content tag</p>"}, "body"),
        ({"name": "x", "type": "campaign", "body": "{{ content }}{% if %}"}, "body"),
        ({"name": "x", "type": "campaign", "body": ["not", "text"]}, "body"),
        ({"name": 5, "type": "campaign", "body": LAYOUT}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, body, field):
    r = send(api_client, "post", "/api/templates", body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}:")


def test_a_syntax_error_names_the_line_and_the_expression(api_client):
    body = "<div>\n{{ content }}\n  {% bogus_tag x %}\n</div>"
    r = send(
        api_client,
        "post",
        "/api/templates",
        {"name": "x", "type": "campaign", "body": body},
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith(
        "body: template error: line 3: {% bogus_tag x %}: "
    )


def test_a_syntax_error_says_template_error_and_the_expression(api_client):
    r = send(api_client, "post", "/api/templates",
             {"name": "x", "type": "campaign", "body": "{{ content }}{% bogus_tag %}"})  # fmt: skip
    assert r.status_code == 400
    message = r.json()["message"]
    assert message.startswith("body: template error:") and "bogus_tag" in message


def test_unknown_ids_are_404(api_client):
    for method in ("get", "put", "delete"):
        r = (
            api_client.get("/api/templates/999999")
            if method == "get"
            else send(api_client, method, "/api/templates/999999", {"name": "x"})
        )
        assert r.status_code == 404, method
        assert "999999" in r.json()["message"]
    assert (
        send(api_client, "put", "/api/templates/999999/default", {}).status_code == 404
    )
    assert (
        send(api_client, "post", "/api/templates/999999/preview", {}).status_code == 404
    )


def test_deleting_a_template_in_use_is_a_409_naming_the_campaigns(api_client):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    Campaign.objects.create(name="Spring sale", subject="s", template=mine)
    r = api_client.delete(f"/api/templates/{mine.pk}")
    assert r.status_code == 409
    assert "Spring sale" in r.json()["message"]
    assert Template.objects.filter(pk=mine.pk).exists()


def test_a_template_used_as_an_archive_template_is_in_use_too(api_client):
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    Campaign.objects.create(name="Digest", subject="s", archive_template=mine)
    r = api_client.delete(f"/api/templates/{mine.pk}")
    assert r.status_code == 409 and "Digest" in r.json()["message"]


def test_the_default_cannot_be_deleted(api_client):
    r = api_client.delete(f"/api/templates/{default().pk}")
    assert r.status_code == 400
    assert "default" in r.json()["message"]


def test_it_sets_the_default(api_client):
    old = default()
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    r = send(api_client, "put", f"/api/templates/{mine.pk}/default", {})
    assert r.status_code == 200 and r.json()["data"]["is_default"] is True
    assert list(Template.objects.filter(is_default=True)) == [mine]
    old.refresh_from_db()
    assert old.is_default is False


def test_a_tx_template_cannot_be_the_default(api_client):
    tx = Template.objects.get(type="tx")
    r = send(api_client, "put", f"/api/templates/{tx.pk}/default", {})
    assert r.status_code == 400
    assert default().name == "Default campaign template"


def test_the_default_stays_a_campaign_template(api_client):
    r = send(
        api_client,
        "put",
        f"/api/templates/{default().pk}",
        {"type": "tx", "subject": "s"},
    )
    assert r.status_code == 400 and r.json()["message"].startswith("type:")


def test_preview_renders_an_unsaved_body_as_html(api_client):
    r = send(api_client, "post", "/api/templates/preview",
             {"template_type": "campaign", "body": LAYOUT})  # fmt: skip
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert "<h1>stmails</h1>" in html  # app.site_name
    assert "A sample campaign" in html  # the sample content sits in {{ content }}
    assert "href='#unsubscribe'" in html


def test_preview_takes_a_form_post_as_listmonks_ui_sends(api_client):
    r = api_client.post(
        "/api/templates/preview", {"template_type": "campaign", "body": LAYOUT}
    )
    assert r.status_code == 200 and b"A sample campaign" in r.content


def test_preview_of_a_tx_template_fills_sample_data(api_client):
    r = send(api_client, "post", "/api/templates/preview",
             {"template_type": "tx", "body": "<p>Order {{ tx_data.order_id }} for {{ subscriber.name }}</p>"})  # fmt: skip
    assert r.status_code == 200
    assert b"Order 1234 for Sample Subscriber" in r.content


def test_preview_errors_are_400_json(api_client):
    r = send(api_client, "post", "/api/templates/preview",
             {"template_type": "campaign", "body": "{{ content }}{% endif %}"})  # fmt: skip
    assert r.status_code == 400 and r.json()["message"].startswith(
        "body: template error:"
    )
    r = send(
        api_client,
        "post",
        "/api/templates/preview",
        {"template_type": "x", "body": LAYOUT},
    )
    assert r.status_code == 400 and r.json()["message"].startswith("template_type:")


def test_preview_of_a_saved_template(api_client):
    r = api_client.post(f"/api/templates/{default().pk}/preview")
    assert r.status_code == 200
    html = r.content.decode()
    assert "A sample campaign" in html
    assert 'href="#unsubscribe"' in html and 'href="#unsubscribe?manage=true"' in html
    assert 'href="#view"' in html


def test_campaigns_read_and_write_template_id(api_client, make_list):
    lst = make_list("Weekly")
    mine = Template.objects.create(name="Mine", body=LAYOUT)
    base = {
        "name": "A",
        "subject": "s",
        "lists": [lst.id],
        "content_type": "html",
        "body": "<p>x</p>",
    }
    r = send(api_client, "post", "/api/campaigns", base)
    assert (
        r.json()["data"]["template_id"] == default().pk
    )  # listmonk: absent -> default
    r = send(api_client, "post", "/api/campaigns", {**base, "template_id": mine.pk})
    data = r.json()["data"]
    assert data["template_id"] == mine.pk
    r = send(api_client, "put", f"/api/campaigns/{data['id']}", {"template_id": None})
    assert r.json()["data"]["template_id"] is None
    r = send(api_client, "post", "/api/campaigns", {**base, "template_id": None})
    # listmonk: a null at creation is 0, the default (its clients send null
    # for what they were not given); a PUT's null removes the layout.
    assert r.json()["data"]["template_id"] == default().pk


def test_campaign_template_id_errors(api_client):
    base = {"name": "A", "subject": "s", "body": "<p>x</p>"}
    r = send(api_client, "post", "/api/campaigns", {**base, "template_id": 999999})
    assert r.status_code == 404 and r.json()["message"].startswith("template_id:")
    tx = Template.objects.get(type="tx")
    r = send(api_client, "post", "/api/campaigns", {**base, "template_id": tx.pk})
    assert r.status_code == 400 and r.json()["message"].startswith("template_id:")
    r = send(api_client, "post", "/api/campaigns", {**base, "template_id": "abc"})
    assert r.status_code == 400 and r.json()["message"].startswith("template_id:")


def test_the_openapi_schema_lists_the_template_operations(api_client):
    paths = api_client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/templates", "/api/templates/{id}", "/api/templates/{id}/default",
                 "/api/templates/preview", "/api/templates/{id}/preview"):  # fmt: skip
        assert path in paths, path
    campaign = paths["/api/campaigns"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert "template_id" in campaign["schema"]["properties"]


def test_listmonk_clients_paging_parameters_are_accepted(api_client):
    r = api_client.get("/api/templates?page=1&per_page=1000000")
    assert r.status_code == 200 and len(r.json()["data"]) == 3
    assert api_client.get("/api/templates?bogus=1").status_code == 400


def test_get_preview_of_a_saved_template_as_listmonks_clients_call_it(api_client):
    r = api_client.get(f"/api/templates/{default().pk}/preview")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    assert b"A sample campaign" in r.content
    assert api_client.get("/api/templates/999999/preview").status_code == 404
