"""The Transactional log: each tx mail with when, to, template, subject,
status and error; the admin page and GET /api/tx/messages (stmails extra)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stmails.models import OutgoingMail

pytestmark = pytest.mark.django_db

QUEUED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def logged(post_tx, make_tx_template, make_subscriber):
    """Two tx mails (one failed with an error), a deleted template's, and a
    mail of another kind that the log leaves out."""
    ann = make_subscriber(email="ann@example.com")
    welcome = make_tx_template(name="Welcome", subject="Welcome {{ subscriber.name }}")
    gone = make_tx_template(name="Old")
    for template in (welcome, welcome, gone):
        r = post_tx({"subscriber_id": ann.pk, "template_id": template.pk}, send=False)
        assert r.status_code == 200, r.content
    first, second, third = OutgoingMail.objects.order_by("id")
    OutgoingMail.objects.filter(pk=second.pk).update(
        status="failed", last_error="RCPT TO: 550 5.1.1 no such user", attempts=1
    )
    OutgoingMail.objects.update(created_at=QUEUED_AT)
    gone_id = gone.pk
    gone.delete()
    OutgoingMail.objects.create(
        kind="optin", to_email="x@example.com", from_email="a@example.com",
        subject="Confirm", text="t", message_id="<m@example.com>",
    )  # fmt: skip
    return {
        "ann": ann,
        "welcome": welcome,
        "gone_id": gone_id,
        "mails": (first, second, third),
    }


def test_the_page_lists_each_tx_mail(client_alice, logged):
    r = client_alice.get("/campaigns/tx")
    assert r.status_code == 200
    html = r.content.decode()
    first, second, third = logged["mails"]
    for mail in (first, second, third):
        assert f'id="tx-{mail.pk}"' in html
    assert "Confirm" not in html  # an opt-in mail is not transactional
    assert "Welcome ann" in html and "Welcome</td>" in html
    assert f"#{logged['gone_id']} (deleted)" in html
    assert "RCPT TO: 550 5.1.1 no such user" in html
    assert "ann@example.com" in html


def test_the_page_filters_by_status_and_template(client_alice, logged):
    first, second, third = logged["mails"]
    html = client_alice.get("/campaigns/tx?status=failed").content.decode()
    assert f'id="tx-{second.pk}"' in html
    assert f'id="tx-{first.pk}"' not in html
    html = client_alice.get(
        f"/campaigns/tx?template={logged['welcome'].pk}"
    ).content.decode()
    assert f'id="tx-{first.pk}"' in html and f'id="tx-{third.pk}"' not in html
    r = client_alice.get("/campaigns/tx?status=nonsense&template=x")
    assert r.status_code == 200
    assert 'id="filter-error"' in r.content.decode()


def test_the_page_needs_a_login(client, logged):
    r = client.get("/campaigns/tx")
    assert r.status_code in (302, 403)


def test_the_api_lists_tx_messages(api_client, logged):
    first, second, third = logged["mails"]
    r = api_client.get("/api/tx/messages?per_page=2")
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["total"], data["per_page"], data["page"]) == (3, 2, 1)
    assert [m["id"] for m in data["results"]] == [third.pk, second.pk]
    failed = data["results"][1]
    assert failed == {
        "id": second.pk,
        "created_at": "2026-03-01T09:30:00Z",
        "sent_at": None,
        "to": "ann@example.com",
        "subscriber_id": logged["ann"].pk,
        "template_id": logged["welcome"].pk,
        "template_name": "Welcome",
        "subject": "Welcome ann",
        "status": "failed",
        "attempts": 1,
        "error": "RCPT TO: 550 5.1.1 no such user",
    }
    r = api_client.get("/api/tx/messages?status=failed")
    assert [m["id"] for m in r.json()["data"]["results"]] == [second.pk]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=odd", "status: must be one of"),
        ("template_id=x", "template_id: invalid id"),
        ("page=x", "page: must be a number"),
        ("id=3", "id: unknown parameter"),
    ],
)
def test_the_api_refuses_bad_queries(api_client, query, message):
    r = api_client.get(f"/api/tx/messages?{query}")
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)


# --- "Send a test transactional mail" ----------------------------------------------


def test_the_test_form_queues_a_tx_mail(
    client_alice, make_tx_template, make_subscriber
):
    ann = make_subscriber(email="ann@example.com", name="Ann")
    tpl = make_tx_template(
        name="Reset",
        subject="Reset",
        body="<p>{{ subscriber.name }} {{ tx_data.code }}</p>",
    )
    page = client_alice.get("/campaigns/tx").content.decode()
    assert 'id="tx-test"' in page and "Reset</option>" in page
    r = client_alice.post(
        "/campaigns/tx/test",
        {"template": tpl.pk, "email": "ANN@example.com", "data": '{"code": "x1"}'},
    )
    assert r.status_code == 302
    mail = OutgoingMail.objects.get()
    assert (mail.kind, mail.to_email, mail.subscriber_id, mail.template_id) == (
        "tx", ann.email, ann.pk, tpl.pk,
    )  # fmt: skip
    assert "<p>Ann x1</p>" in mail.html
    # Any address works, as listmonk's fallback mode.
    r = client_alice.post(
        "/campaigns/tx/test", {"template": tpl.pk, "email": "someone@example.net"}
    )
    assert r.status_code == 302
    assert OutgoingMail.objects.filter(to_email="someone@example.net").exists()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"email": "nope"}, "email", "Enter a valid email address."),
        ({"data": "[1]"}, "data", "must be a JSON object"),
        ({"data": "{oops"}, "data", "is not valid JSON"),
        ({"template": "999999"}, "template", "Select a valid choice."),
    ],
)
def test_the_test_form_shows_errors_beside_the_field(
    client_alice, make_tx_template, data, field, error
):
    tpl = make_tx_template()
    form = {"template": tpl.pk, "email": "a@example.com", "data": "", **data}
    r = client_alice.post("/campaigns/tx/test", form)
    assert r.status_code == 400
    html = r.content.decode()
    assert f'id="id_{field}-error"' in html
    assert error in html
    assert not OutgoingMail.objects.exists()


def test_a_template_error_shows_beside_the_template(client_alice, make_tx_template):
    tpl = make_tx_template(body='{% include "missing.html" %}')
    r = client_alice.post(
        "/campaigns/tx/test", {"template": tpl.pk, "email": "a@example.com"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_template-error"' in html and "no template missing.html" in html
    assert not OutgoingMail.objects.exists()
