"""POST /api/tx as listmonk's multipart form: `data` holds the JSON request,
`file` fields are attachments (capped, names sanitised, types guessed)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import tx_attachments
from campaigns.tx_attachments import guess_type, safe_filename
from stmails.models import MailAttachment, OutgoingMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_subscriber):
    return make_subscriber(email="ann@example.com", name="Ann")


def upload(name, data=b"x", content_type="text/html"):
    # The declared content type is the client's word: never used.
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.smtp
def test_files_go_out_as_mime_parts_of_every_recipients_mail(
    tx_sink, post_tx, make_tx_template, ann, make_subscriber
):
    make_subscriber(email="bob@example.com")
    tpl = make_tx_template(body="<p>See attached, {{ subscriber.name }}</p>")
    request = {
        "subscriber_emails": ["ann@example.com", "bob@example.com"],
        "template_id": tpl.pk,
    }
    pdf = b"%PDF-1.4 not really" + bytes(range(256))
    r = post_tx(
        form={
            "data": json.dumps(request),
            "file": [
                upload("invoice 12.pdf", pdf),
                upload("../../etc/passwd", b"root:x:0:0"),
            ],
        }
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    assert len(tx_sink.messages) == 2
    for msg in tx_sink.messages:
        assert "See attached" in msg.get_body(("html",)).get_content()
        parts = {
            p.get_filename(): (p.get_content_type(), p.get_content())
            for p in msg.iter_attachments()
        }
        assert parts == {
            "invoice 12.pdf": ("application/pdf", pdf),
            "passwd": ("application/octet-stream", b"root:x:0:0"),
        }
    # Stored once, shared by both recipients' queued mails.
    assert MailAttachment.objects.count() == 2
    for mail in OutgoingMail.objects.all():
        assert sorted(a.filename for a in mail.attachments.all()) == [
            "invoice 12.pdf",
            "passwd",
        ]


def test_a_form_without_files_works_like_json(post_tx, make_tx_template, ann):
    tpl = make_tx_template(body="<p>{{ tx_data.code }}</p>")
    request = {"subscriber_id": ann.pk, "template_id": tpl.pk, "data": {"code": "7"}}
    r = post_tx(form={"data": json.dumps(request)}, send=False)
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    assert "<p>7</p>" in mail.html
    assert not mail.attachments.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "data: the form needs a data field holding the JSON request"),
        ({"data": "{not json"}, "data: is not valid JSON"),
        ({"data": "[1, 2]"}, "data: must be a JSON object"),
    ],
)
def test_a_bad_data_field_is_refused(post_tx, form, message):
    form = {**form, "file": [upload("a.txt")]}
    r = post_tx(form=form, send=False)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)
    assert not OutgoingMail.objects.exists()
    assert not MailAttachment.objects.exists()


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setattr(tx_attachments, "MAX_FILE_BYTES", 10)
    monkeypatch.setattr(tx_attachments, "MAX_TOTAL_BYTES", 15)
    monkeypatch.setattr(tx_attachments, "MAX_FILES", 3)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload("big.txt", b"x" * 11)], "file: big.txt is larger than"),
        ([upload("a.txt", b"x" * 8), upload("b.txt", b"x" * 8)], "file: attachments may total at most"),
        ([upload(f"{i}.txt") for i in range(4)], "file: at most 3 files"),
    ],
)  # fmt: skip
def test_over_the_caps_nothing_is_sent(
    post_tx, make_tx_template, ann, small_caps, files, message
):
    tpl = make_tx_template()
    request = {"subscriber_id": ann.pk, "template_id": tpl.pk}
    r = post_tx(form={"data": json.dumps(request), "file": files}, send=False)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)
    assert not OutgoingMail.objects.exists()
    assert not MailAttachment.objects.exists()


def test_a_body_too_large_is_refused_before_it_is_read(
    post_tx, make_tx_template, ann, monkeypatch
):
    monkeypatch.setattr(tx_attachments, "MAX_TOTAL_BYTES", 100)
    monkeypatch.setattr(tx_attachments, "FORM_OVERHEAD_BYTES", 100)
    tpl = make_tx_template()
    request = {"subscriber_id": ann.pk, "template_id": tpl.pk}
    r = post_tx(
        form={"data": json.dumps(request), "file": [upload("a.bin", b"x" * 500)]},
        send=False,
    )
    assert r.status_code == 400
    assert r.json()["message"] == "file: attachments may total at most 100 bytes"
    assert not OutgoingMail.objects.exists()


def test_a_bad_template_leaves_no_stored_file(post_tx, make_tx_template, ann):
    tpl = make_tx_template(body="{% if %}")
    request = {"subscriber_id": ann.pk, "template_id": tpl.pk}
    r = post_tx(form={"data": json.dumps(request), "file": [upload("a.txt")]})
    assert r.status_code == 400
    assert not MailAttachment.objects.exists()


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\secret.docx", "secret.docx"),
        ("..", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        (".htaccess", "htaccess"),
        ("a\x00b\r\nc.txt", "abc.txt"),
        ('evil"; filename="x.exe', "evil__ filename__x.exe"),
        ("naïve café.txt", "naïve café.txt"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_filenames_are_sanitised(raw, safe):
    assert safe_filename(raw) == safe


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.pdf", "application/pdf"),
        ("a.png", "image/png"),
        ("a.txt", "text/plain"),
        ("a.tar.gz", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_content_types_are_guessed_from_the_name(name, content_type):
    assert guess_type(name) == content_type
