"""listmonk's POST /api/tx: a tx template, its recipients, data, subject,
headers, content type and messenger; everything checked before anything is
queued, and queued on the system lane (the outbox, kind "tx")."""

from __future__ import annotations

import pytest

from campaigns.models import Delivery, Template
from stmails import durable_queue
from stmails.celery import DEFAULT_QUEUE
from stmails.celery import app as celery_app
from stmails.config import update_settings
from stmails.models import OutgoingMail

pytestmark = pytest.mark.django_db

# Template sources per dialect. The Go dialect (listmonk's
# {{ .Tx.Data.order_id }}, {{ .Subscriber.Name }}) joins this dict once
# campaigns.rendering speaks it; every test taking `dialect` then runs in both.
DIALECTS = {
    "django": {
        "subject": "Order {{ tx_data.order_id }}",
        "body": "<p>Hi {{ subscriber.name }}, order {{ tx_data.order_id }}:"
        " {% for i in tx_data.items %}[{{ i }}]{% endfor %}</p>",
        "email": "<p>{{ subscriber.email }}/{{ subscriber.name }}/</p>",
        "bad_body": "<p>ok</p>\n{{ tx_data.x|nosuchfilter }}",
        "bad_expression": "nosuchfilter",
    },
    # listmonk's own syntax, as its docs show for tx templates.
    "go": {
        "subject": "Order {{ .Tx.Data.order_id }}",
        "body": "<p>Hi {{ .Subscriber.Name }}, order {{ .Tx.Data.order_id }}:"
        " {{ range .Tx.Data.items }}[{{ . }}]{{ end }}</p>",
        "email": "<p>{{ .Subscriber.Email }}/{{ .Subscriber.Name }}/</p>",
        "bad_body": "<p>ok</p>\n{{ .Tx.Data.x | nosuchfunc }}",
        "bad_expression": "nosuchfunc",
    },
}


@pytest.fixture(params=sorted(DIALECTS))
def dialect(request):
    return DIALECTS[request.param]


@pytest.fixture
def ann(make_subscriber):
    return make_subscriber(email="ann@example.com", name="Ann")


@pytest.fixture
def bob(make_subscriber):
    return make_subscriber(email="bob@example.com", name="Bob")


# --- a whole mail through a real SMTP server ---------------------------------------


@pytest.mark.smtp
def test_it_sends_the_template_rendered_with_data_and_subscriber(
    tx_sink, post_tx, make_tx_template, ann, dialect
):
    tpl = make_tx_template(body=dialect["body"], subject=dialect["subject"])
    r = post_tx(
        {
            "subscriber_email": "ANN@example.com",
            "template_id": tpl.pk,
            "data": {"order_id": 42, "items": ["a", "b"]},
            "from_email": "Shop <shop@example.org>",
            "headers": [{"X-Order": "42"}, {"X-Stmails-Subscriber": "forged"}],
        }
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    [msg] = tx_sink.messages
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Order 42"
    assert msg["From"] == "Shop <shop@example.org>"
    assert msg["X-Order"] == "42"
    # The subscriber header is stmails' own: a custom header cannot forge it.
    assert msg["X-Stmails-Subscriber"] == str(ann.uuid)
    html = msg.get_body(("html",)).get_content()
    assert "<p>Hi Ann, order 42: [a][b]</p>" in html
    assert "Hi Ann, order 42" in msg.get_body(("plain",)).get_content()
    mail = OutgoingMail.objects.get()
    assert (mail.kind, mail.subscriber_id, mail.template_id, mail.status) == (
        "tx", ann.pk, tpl.pk, "sent",
    )  # fmt: skip


@pytest.mark.smtp
def test_a_listmonk_client_request_works_as_listmonk_documents_it(
    tx_sink, post_tx, make_subscriber
):
    # The exact request of listmonk's docs (docs/apis/transactional.md),
    # against a tx template with id 2 as a fresh listmonk install has.
    make_subscriber(email="user@test.com", name="User")
    Template.objects.update_or_create(  # id 2 may be a shipped template: replaced
        id=2,
        defaults=dict(
            name="Order",
            type="tx",
            subject="Order {{ tx_data.order_id }} of {{ tx_data.date }}",
            body="<p>{{ tx_data.items|length }} items for {{ subscriber.name }}</p>",
        ),
    )
    r = post_tx(
        {
            "subscriber_email": "user@test.com",
            "template_id": 2,
            "data": {"order_id": "1234", "date": "2022-07-30", "items": [1, 2, 3]},
            "content_type": "html",
        }
    )
    assert (r.status_code, r.json()) == (200, {"data": True})
    [msg] = tx_sink.messages
    assert msg["Subject"] == "Order 1234 of 2022-07-30"
    assert "<p>3 items for User</p>" in msg.get_body(("html",)).get_content()


@pytest.mark.smtp
def test_plain_and_markdown_content_types_and_altbody(
    tx_sink, post_tx, make_tx_template, ann
):
    tpl = make_tx_template(body="# Hi {{ subscriber.name }}\n\n**bold**")
    r = post_tx(
        {"subscriber_id": ann.pk, "template_id": tpl.pk, "content_type": "plain"}
    )
    assert r.status_code == 200, r.content
    plain = tx_sink.messages[-1]
    assert plain.get_body(("html",)) is None
    assert plain.get_content().strip().splitlines() == ["# Hi Ann", "", "**bold**"]
    r = post_tx(
        {
            "subscriber_id": ann.pk,
            "template_id": tpl.pk,
            "content_type": "markdown",
            "altbody": "Text for {{ subscriber.name }}",
        }
    )
    assert r.status_code == 200, r.content
    md = tx_sink.messages[-1]
    html = md.get_body(("html",)).get_content()
    assert "<h1>Hi Ann</h1>" in html and "<strong>bold</strong>" in html
    assert md.get_body(("plain",)).get_content().strip() == "Text for Ann"


# --- queued rows (no SMTP needed) -------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["subscriber_email", "subscriber_id", "subscriber_emails", "subscriber_ids"],
)
def test_every_recipient_form_in_default_mode(
    post_tx, make_tx_template, ann, bob, form
):
    tpl = make_tx_template()
    value = {
        "subscriber_email": "ann@example.com",
        "subscriber_id": ann.pk,
        "subscriber_emails": ["ann@example.com", "BOB@example.com"],
        "subscriber_ids": [ann.pk, bob.pk, ann.pk],
    }[form]
    r = post_tx({form: value, "template_id": tpl.pk}, send=False)
    assert r.status_code == 200, r.content
    rows = {m.to_email: m.subscriber_id for m in OutgoingMail.objects.all()}
    expected = {ann.email: ann.pk}
    if form.endswith("s"):
        expected[bob.email] = bob.pk
    assert rows == expected  # given twice, sent once


def test_fallback_mode_sends_to_unknown_addresses_with_an_empty_subscriber(
    post_tx, make_tx_template, ann, dialect
):
    tpl = make_tx_template(body=dialect["email"])
    r = post_tx(
        {
            "subscriber_emails": ["ann@example.com", "stranger@example.net"],
            "subscriber_mode": "fallback",
            "template_id": tpl.pk,
        },
        send=False,
    )
    assert r.status_code == 200, r.content
    known = OutgoingMail.objects.get(to_email=ann.email)
    stranger = OutgoingMail.objects.get(to_email="stranger@example.net")
    assert (known.subscriber_id, known.headers["X-Stmails-Subscriber"]) == (
        ann.pk, str(ann.uuid),
    )  # fmt: skip
    assert "<p>ann@example.com/Ann/</p>" in known.html
    assert stranger.subscriber_id is None
    assert "X-Stmails-Subscriber" not in stranger.headers
    assert "<p>stranger@example.net//</p>" in stranger.html


def test_external_mode_never_looks_subscribers_up(
    post_tx, make_tx_template, ann, dialect
):
    tpl = make_tx_template(body=dialect["email"])
    r = post_tx(
        {
            "subscriber_email": "ann@example.com",
            "subscriber_mode": "external",
            "template_id": tpl.pk,
        },
        send=False,
    )
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    assert mail.subscriber_id is None
    assert "X-Stmails-Subscriber" not in mail.headers
    assert "<p>ann@example.com//</p>" in mail.html  # no name: not looked up


def test_the_subject_overrides_the_templates(post_tx, make_tx_template, ann):
    tpl = make_tx_template(subject="Template subject")
    post_tx({"subscriber_id": ann.pk, "template_id": tpl.pk}, send=False)
    post_tx(
        {
            "subscriber_id": ann.pk,
            "template_id": tpl.pk,
            "subject": "Mine, {{ subscriber.name }}",
        },
        send=False,
    )
    assert [m.subject for m in OutgoingMail.objects.order_by("id")] == [
        "Template subject",
        "Mine, Ann",
    ]


def test_from_email_defaults_to_the_app_setting(post_tx, make_tx_template, ann):
    update_settings({"app.from_email": "Site <site@example.org>"})
    tpl = make_tx_template()
    post_tx({"subscriber_id": ann.pk, "template_id": tpl.pk}, send=False)
    assert OutgoingMail.objects.get().from_email == "Site <site@example.org>"


def test_tx_mail_goes_through_the_system_lane(
    post_tx, make_tx_template, ann, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        durable_queue, "send_task", lambda name, **kw: sent.append((name, kw))
    )
    tpl = make_tx_template()
    r = post_tx({"subscriber_id": ann.pk, "template_id": tpl.pk})
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    assert sent == [("stmails.tasks.send_mail", {"mail_id": mail.pk})]
    route = celery_app.amqp.router.route({}, "stmails.tasks.send_mail")
    assert route["queue"].name == DEFAULT_QUEUE  # not behind campaigns
    assert not Delivery.objects.exists()


# --- refused requests: 400/404 naming the field, nothing queued -------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"template_id": None}, 400, "template_id: is required"),
        ({"template_id": "x"}, 400, "template_id: invalid id"),
        ({"template_id": 999999}, 404, "template_id: template 999999 not found"),
        ({"subscriber_email": "nobody@example.com"}, 400, "subscriber_email: nobody@example.com is not a subscriber"),
        ({"subscriber_email": None, "subscriber_emails": ["ann@example.com", "nobody@example.com"]}, 400, "subscriber_emails: nobody@example.com is not a subscriber"),
        ({"subscriber_email": None, "subscriber_emails": ["ann@example.com", "bad"]}, 400, "subscriber_emails: 'bad' is not a valid e-mail address"),
        ({"subscriber_email": None, "subscriber_id": 999999}, 400, "subscriber_id: subscriber 999999 not found"),
        ({"subscriber_email": None, "subscriber_ids": ["x"]}, 400, "subscriber_ids: 'x' is not a subscriber id"),
        ({"subscriber_email": None, "subscriber_ids": 3}, 400, "subscriber_ids: must be a list"),
        ({"subscriber_email": None}, 400, "subscriber_email: give subscriber_email, subscriber_id"),
        ({"subscriber_ids": [1]}, 400, "subscriber_ids: give only one of subscriber_email, subscriber_ids"),
        ({"subscriber_email": None, "subscriber_mode": "fallback", "subscriber_id": 1}, 400, "subscriber_id: fallback mode takes e-mail addresses"),
        ({"subscriber_email": None, "subscriber_mode": "external", "subscriber_ids": [1]}, 400, "subscriber_ids: external mode takes e-mail addresses"),
        ({"subscriber_mode": "odd"}, 400, "subscriber_mode: must be one of default, fallback, external"),
        ({"messenger": "sms"}, 400, "messenger: 'sms' is not one of email"),
        ({"content_type": "richtext"}, 400, "content_type: 'richtext' is not one of html, markdown, plain"),
        ({"subject": ["x"]}, 400, "subject: must be a string"),
        ({"subject": "{% if %}"}, 400, "subject: "),
        ({"altbody": "{% for %}"}, 400, "altbody: "),
        ({"data": [1]}, 400, "data: must be an object"),
        ({"headers": {"X": "y"}}, 400, "headers: must be a list"),
        ({"headers": [{"X-A": "1", "X-B": "2"}]}, 400, "headers: each header must be one {name: value}"),
        ({"headers": [{"X-A": "1\r\nBcc: x@example.com"}]}, 400, "headers: X-A: value must be one line"),
        ({"from_email": "nope"}, 400, "from_email: must look like"),
    ],
)  # fmt: skip
def test_it_refuses_bad_input_and_sends_nothing(
    post_tx, make_tx_template, ann, body, status, message
):
    tpl = make_tx_template()
    data = {"subscriber_email": "ann@example.com", "template_id": tpl.pk}
    data.update(body)
    r = post_tx({k: v for k, v in data.items() if v is not None}, send=False)
    assert r.status_code == status
    assert r.json()["message"].startswith(message)
    assert not OutgoingMail.objects.exists()


def test_a_template_of_another_type_is_refused(post_tx, make_tx_template, ann):
    layout = make_tx_template(type="campaign", body="{{ content }}")
    r = post_tx({"subscriber_id": ann.pk, "template_id": layout.pk}, send=False)
    assert r.status_code == 400
    assert r.json()["message"] == (
        f"template_id: template {layout.pk} is a campaign template; "
        "transactional mail needs a tx template"
    )
    assert not OutgoingMail.objects.exists()


def test_a_broken_template_is_refused_naming_the_expression(
    post_tx, make_tx_template, ann, dialect
):
    tpl = make_tx_template(body=dialect["bad_body"])
    r = post_tx({"subscriber_id": ann.pk, "template_id": tpl.pk}, send=False)
    assert r.status_code == 400
    message = r.json()["message"]
    assert message.startswith(f"template_id: template {tpl.pk} body: ")
    assert dialect["bad_expression"] in message
    assert not OutgoingMail.objects.exists()


def test_a_template_failing_at_render_time_is_refused(post_tx, make_tx_template, ann):
    tpl = make_tx_template(body='<p>{% include "missing.html" %}</p>')
    r = post_tx({"subscriber_id": ann.pk, "template_id": tpl.pk}, send=False)
    assert r.status_code == 400
    assert (
        r.json()["message"]
        == f"template_id: template {tpl.pk}: no template missing.html"
    )
    assert not OutgoingMail.objects.exists()


def test_it_needs_api_auth(client, make_tx_template):
    tpl = make_tx_template()
    body = f'{{"subscriber_email": "a@example.com", "template_id": {tpl.pk}}}'
    r = client.post("/api/tx", data=body, content_type="application/json")
    assert r.status_code in (401, 403)
    assert not OutgoingMail.objects.exists()


def test_a_subscriber_gets_an_unsubscribe_link_an_external_address_none(
    post_tx, make_tx_template, ann
):
    tpl = make_tx_template(body="<p>[{{ unsubscribe_url }}]</p>")
    for mode in ("default", "external"):
        r = post_tx(
            {
                "subscriber_email": ann.email,
                "subscriber_mode": mode,
                "template_id": tpl.pk,
            },
            send=False,
        )
        assert r.status_code == 200, r.content
    known, external = OutgoingMail.objects.order_by("id")
    assert "[http" in known.html and "/unsubscribe/" in known.html
    assert "<p>[]</p>" in external.html
