"""Settings page of the custom endpoints: create, edit (secrets kept), errors, test box, delete."""

from __future__ import annotations

from stmails.config import get_value
from webhooks.models import WebhookEvent

NEW = "/settings/bounces/providers/custom/new"
FORM = {
    "name": "Acme Mail",
    "slug": "acme",
    "enabled": "on",
    "auth": "bearer",
    "username": "",
    "secret": "tok-1",
    "previous_secret": "",
    "signature_header": "X-Signature",
    "signature_encoding": "hex",
    "signature_prefix": "",
    "batch_path": "events",
    "email_path": "rcpt.0",
    "type_path": "kind",
    "id_path": "id",
    "timestamp_path": "",
    "message_id_path": "",
    "type_map": "bounce = hard\nspam: complaint\ndelay = ignore",
    "payload": "",
    "action": "save",
}


def test_it_creates_an_endpoint(client_alice):
    response = client_alice.post(NEW, FORM)
    assert response.status_code == 302
    [saved] = get_value("bounce.custom_providers")
    assert response["Location"] == f"/settings/bounces/providers/custom/{saved['uuid']}"
    assert (saved["slug"], saved["auth"], saved["secret"]) == (
        "acme",
        "bearer",
        "tok-1",
    )
    assert saved["type_map"] == {
        "bounce": "hard",
        "spam": "complaint",
        "delay": "ignore",
    }
    page = client_alice.get(response["Location"]).content.decode()
    assert "/webhooks/service/custom/acme" in page
    assert "tok-1" not in page


def test_it_keeps_the_stored_secret_when_left_empty(client_alice):
    location = client_alice.post(NEW, FORM)["Location"]
    response = client_alice.post(location, {**FORM, "secret": "", "name": "Renamed"})
    assert response.status_code == 302
    [saved] = get_value("bounce.custom_providers")
    assert (saved["name"], saved["secret"]) == ("Renamed", "tok-1")


def test_it_shows_errors_beside_the_fields(client_alice):
    response = client_alice.post(
        NEW, {**FORM, "slug": "Bad Slug", "type_map": "bounce => nothing"}
    )
    assert response.status_code == 400
    assert "VALUE = hard" in response.context["form"].errors["type_map"][0]
    response = client_alice.post(NEW, {**FORM, "slug": "Bad Slug"})
    assert response.status_code == 400
    assert "lowercase" in response.context["form"].errors["slug"][0]
    assert get_value("bounce.custom_providers") == []


def test_the_test_box_shows_what_would_be_recorded_and_writes_nothing(client_alice):
    payload = (
        '{"events": [{"id": "1", "kind": "bounce", "rcpt": ["Jane@Example.com"]},'
        ' {"id": "2", "kind": "open", "rcpt": ["joe@example.com"]}]}'
    )
    response = client_alice.post(NEW, {**FORM, "action": "test", "payload": payload})
    assert response.status_code == 200
    result = response.context["test_result"]
    assert [(e.email, e.type) for e in result["events"]] == [
        ("jane@example.com", "hard"),
        ("joe@example.com", "ignored"),
    ]
    page = response.content.decode()
    assert "jane@example.com" in page and 'class="badge hard"' in page
    assert get_value("bounce.custom_providers") == []
    assert not WebhookEvent.objects.exists()


def test_the_test_box_explains_a_payload_that_does_not_fit(client_alice):
    response = client_alice.post(
        NEW, {**FORM, "action": "test", "payload": '{"other": 1}'}
    )
    assert "nothing at the batch path" in response.context["test_result"]["error"]
    response = client_alice.post(NEW, {**FORM, "action": "test", "payload": "{oops"})
    assert "not valid JSON" in response.context["test_result"]["error"]


def test_it_deletes_an_endpoint(client_alice):
    location = client_alice.post(NEW, FORM)["Location"]
    response = client_alice.post(location, {"action": "delete"})
    assert response.status_code == 302
    assert get_value("bounce.custom_providers") == []
    assert client_alice.get(location).status_code == 404


def test_it_needs_a_login(client, alice):
    response = client.get(NEW)
    assert response.status_code == 302
    assert "/login" in response["Location"]
