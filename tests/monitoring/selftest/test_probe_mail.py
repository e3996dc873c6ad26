"""The probe's pure checks: finding its mail, comparing headers, the confirm form."""

from __future__ import annotations

import email
from email import policy

from django.template.loader import render_to_string

from monitoring.selftest.mail import (
    Wanted,
    compare_headers,
    describe_headers,
    find_confirm_link,
    is_probe_mail,
    page_alerts,
    parse_confirm_form,
    tagged_address,
)

RAW = (
    b"From: news@example.org\r\nTo: probe+stpabc123@example.test\r\n"
    b"Subject: Confirm your subscription\r\nMessage-ID: <m1@example.org>\r\n"
    b"X-Stmails-Subscriber: 5d1c\r\n"
    b"List-Unsubscribe: <https://lists.example.org/subscription/unsubscribe/\r\n"
    b" tok>\r\n\r\n"
    b"Open this link:\r\nhttps://lists.example.org/subscription/optin/Ik.x-y:z.\r\n"
)


def message(raw: bytes = RAW):
    return email.message_from_bytes(raw, policy=policy.compat32)


def test_it_tags_the_probe_address_once():
    assert tagged_address("probe@example.test", "abc") == "probe+stpabc@example.test"
    assert tagged_address("probe+x@example.test", "abc") == "probe+x@example.test"


def test_it_recognises_its_mail_by_any_mark():
    msg = message()
    assert is_probe_mail(msg, Wanted(token="abc123"))
    assert is_probe_mail(msg, Wanted(token="zzz", message_id="<m1@example.org>"))
    assert is_probe_mail(
        msg, Wanted(token="zzz", headers={"X-Stmails-Subscriber": "5d1c"})
    )
    assert not is_probe_mail(
        msg, Wanted(token="zzz", message_id="<m2@example.org>", headers={"X": "y"})
    )


def test_it_compares_unfolded_headers():
    sent = {
        "Message-ID": "<m1@example.org>",
        "List-Unsubscribe": "<https://lists.example.org/subscription/unsubscribe/ tok>",
        "X-Stmails-Subscriber": "other",
        "X-Stmails-Campaign": "c1",
    }
    report = compare_headers(sent, message())
    assert [e["state"] for e in report] == ["intact", "intact", "changed", "missing"]
    assert describe_headers(report) == (
        "X-Stmails-Subscriber changed (sent 'other', received '5d1c'); "
        "X-Stmails-Campaign missing"
    )
    assert describe_headers(report[:1]) == "all 1 intact: Message-ID"


def test_it_finds_the_confirm_link_in_the_body():
    link = find_confirm_link(message(), "/subscription/optin/")
    assert link == "https://lists.example.org/subscription/optin/Ik.x-y:z"
    assert find_confirm_link(message(), "/nowhere/") is None


def test_it_reads_the_confirm_form_of_the_real_page(db, make_subscriber, make_list):
    sub = make_subscriber()
    html = render_to_string(
        "subscription/optin.html", {"subscriber": sub, "pending": [make_list()]}
    )
    form = parse_confirm_form(html, "https://x.test/subscription/optin/tok")
    assert form.action == "https://x.test/subscription/optin/tok"
    assert form.encoded() == b"confirm=true"


def test_it_presses_no_other_button_and_reports_the_page():
    html = (
        '<div class="alert error" id="optin-error">This link is not valid.</div>'
        '<form method="post"><input name="username"><button>Create</button></form>'
    )
    assert parse_confirm_form(html, "https://x.test/p") is None
    assert page_alerts(html) == "This link is not valid."
