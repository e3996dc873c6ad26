"""The families issue 13 names, and the messages that must record nothing."""

from __future__ import annotations

import json

import pytest

from bounces.parsing.message import parse_message

from .corpus import CORPUS, corpus_files


def parse(name: str):
    return parse_message((CORPUS / name).read_bytes())


def events(name: str) -> list[tuple[str, str, str]]:
    return [(e.email, e.type, e.reason) for e in parse(name).events]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("m_autoreply_rfc3834_auto_replied.eml", "autoreply"),
        ("m_autoreply_mailer_daemon_from.eml", "autoreply"),
        ("m_autoreply_multipart_undeliverable_quote.eml", "autoreply"),
        ("m_human_reply_quoting_user_unknown.eml", "not_bounce"),
        ("m_notification_target_mail_address.eml", "not_bounce"),
        ("m_exim_delay_warning.eml", "delayed"),
        ("m_postfix_delay_dsn.eml", "delayed"),
        # Real: a person forwarding a Sendmail bounce of their own mail ("Fwd:").
        ("sisimai/p5eg__sendmail-14.eml", "not_bounce"),
    ],
)
def test_these_record_nothing(name, kind):
    parsed = parse(name)
    assert (parsed.kind, parsed.events) == (kind, [])


def test_a_notice_naming_a_target_address_is_read_once_it_reports_a_failure():
    raw = (CORPUS / "m_notification_target_mail_address.eml").read_bytes()
    failed = raw.replace(
        b"Mail from unknown senders is now rejected.",
        b"Your message could not be delivered: user unknown.",
    )
    assert parse_message(raw).events == []
    assert [e.email for e in parse_message(failed).events] == [
        "yuki@carrier.example.jp"
    ]


def test_ses_notifications_delivered_by_mail():
    assert events("m_amazonses_sns_json_bounce.eml") == [
        ("kijitora@ses-rcpt.example", "hard", "userunknown")
    ]
    assert events("m_amazonses_json_mailboxfull.eml") == [
        ("neko@ses-rcpt.example", "soft", "mailboxfull")
    ]
    assert events("m_amazonses_json_complaint.eml") == [
        ("tora@ses-rcpt.example", "complaint", "feedback")
    ]


def test_an_ses_transient_bounce_is_never_hard_and_not_spam_is_no_complaint():
    raw = (CORPUS / "m_amazonses_sns_json_bounce.eml").read_text()
    envelope = json.loads(raw.split("\n\n", 1)[1].split("\n\n--", 1)[0])
    message = json.loads(envelope["Message"])
    message["bounce"]["bounceType"] = "Transient"
    envelope["Message"] = json.dumps(message)
    head = raw.split("\n\n", 1)[0]
    parsed = parse_message(f"{head}\n\n{json.dumps(envelope)}\n".encode())
    assert [(e.type, e.reason) for e in parsed.events] == [("soft", "userunknown")]
    complaint = (CORPUS / "m_amazonses_json_complaint.eml").read_bytes()
    assert parse_message(complaint.replace(b"abuse", b"not-spam")).events == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("m_notes_user_not_listed.eml", ("kijitora@notes-rcpt.example", "hard", "userunknown")),
        ("m_verizon_no_such_user.eml", ("5555550100@vtext.com", "hard", "userunknown")),
        ("m_biglobe_mailbox_exceeded.eml", ("neko@biglobe.ne.jp", "soft", "mailboxfull")),
        ("m_biglobe_user_unknown.eml", ("tora@biglobe.ne.jp", "soft", "filtered")),
        # James answers after DATA: its "no such user" is the remote filter (Sisimai: filtered).
        ("m_apachejames_no_such_user.eml", ("kuro@james-rcpt.example", "soft", "filtered")),
        ("m_fml_not_member_rejected.eml", ("announce@fml.example", "soft", "rejected")),
        ("m_googlegroups_cannot_post.eml", ("team@groups-rcpt.example", "soft", "rejected")),
    ],
)  # fmt: skip
def test_the_families_issue_13_names(name, expected):
    assert events(name) == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # SES JSON that a relay folded at ~990 characters ("!" + line break).
        ("sisimai/misc__ced-us-amazonses-01.eml", [("bounce@simulator.amazonses.com", "hard", "userunknown")]),
        # Microsoft JMRP: no ARF part; the complainer is X-HmXmrOriginalRecipient.
        ("sisimai/rb__arf-13.eml", [("recipient@hotmail.com", "complaint", "feedback")]),
        # AOL: two recipients in one delivery-status block.
        ("sisimai/go__rhost-aol-03.eml", [("sabineko@example.jp", "soft", "mailboxfull"), ("mikeneko@example.jp", "hard", "userunknown")]),
        # Refused at MAIL FROM: the *sender* "does not exist", not the recipient.
        ("sisimai/rb__email-exim-51.eml", [("kijitora@example.org", "soft", "rejected")]),
        # Postfix wraps "(in reply to RCPT TO command)": 5.2.1 + User Unknown at RCPT.
        ("sisimai/p5eg__postfix-2.eml", [("filtered@example.co.jp", "hard", "userunknown"), ("userunknown@example.co.jp", "hard", "userunknown")]),
        # DSN fields inside a quoted-printable text part (Amazon WorkMail).
        ("sisimai/rb__email-amazonworkmail-02.eml", [("sabineko@example.jp", "soft", "filtered")]),
        # Verizon's SMS gateway: a "Re:" reply from post_master@vtext.com, any Message-ID.
        ("sisimai/rb__email-verizon-02.eml", [("may-be-straycat-nyaaaaaan@vtext.com", "hard", "userunknown")]),
        # Lotus Domino in Japanese: not in the directory is an unknown user, even in a DSN.
        ("sisimai/p5eg__domino-2.eml", [("kijitora@example.co.jp", "hard", "userunknown")]),
        # Cox's code CDRBL: the sending IP is listed, whatever "sender rejected" says.
        ("sisimai/soe__rhost-cox-01.eml", [("recipient55@cox.net", "soft", "blocked")]),
        # A Lotus Notes out-of-office ("AUTO: ... is out of the office"): nothing.
        ("sisimai/rb__rfc3834-02.eml", []),
    ],
)  # fmt: skip
def test_real_messages_of_the_families_read_since_the_sisimai_corpus(name, expected):
    assert events(name) == expected


def test_every_event_of_the_corpus_has_a_known_reason_matching_its_type():
    from bounces.parsing.reasons import REASONS, bounce_type

    for path in corpus_files():
        for e in parse_message(path.read_bytes()).events:
            assert e.reason in REASONS, (path.name, e.reason)
            if e.type != "soft":  # soft may also be a temporary hard reason
                assert bounce_type(e.reason, e.status) == e.type, path.name
