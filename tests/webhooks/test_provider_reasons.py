"""Each provider's own codes become a bounce reason; else its SMTP text is read."""

from __future__ import annotations

import json

import pytest

from bounces.parsing.reasons import REASONS
from tests.webhooks.conftest import sample
from webhooks.providers.base import ProviderEvent, provider_reason
from webhooks.providers.mailjet import Mailjet
from webhooks.providers.postmark import Postmark
from webhooks.providers.sendgrid import SendGrid
from webhooks.providers.ses import SES_SUBTYPE_REASONS


def test_postmark_types_and_details_give_the_reason():
    (hard,) = Postmark().parse(sample("postmark", "hard_bounce_anymail"), {})
    (soft,) = Postmark().parse(sample("postmark", "soft_bounce_DERIVED"), {})
    assert provider_reason(hard) == "userunknown"  # from "5.1.1 ... does not exist"
    assert provider_reason(soft) == "mailboxfull"  # 4.2.2 over quota
    body = json.loads(sample("postmark", "hard_bounce_anymail"))
    body.update(Type="DMARCPolicy", TypeCode=100009, Details="")
    (dmarc,) = Postmark().parse(json.dumps(body).encode(), {})
    assert (dmarc.type, provider_reason(dmarc)) == ("soft", "authfailure")


def test_mailjet_errors_give_the_reason():
    [item] = json.loads(sample("mailjet", "bounce_blocked_soft_DERIVED"))
    inactive = {**item, "error": "mailbox inactive"}
    events = Mailjet().parse(json.dumps([item, inactive]).encode(), {})
    assert [provider_reason(e) for e in events] == ["mailboxfull", "suspend"]


@pytest.mark.parametrize(
    ("classification", "reason"),
    [
        ("Invalid Address", "userunknown"),
        ("Reputation", "badreputation"),
        ("Frequency or Volume Too High", "ratelimited"),
        ("Content", "spamdetected"),
    ],
)
def test_sendgrid_bounce_classification_gives_the_reason(classification, reason):
    item = {
        "email": "a@example.com",
        "event": "bounce",
        "sg_event_id": "e1",
        "timestamp": 1700000000,
        "bounce_classification": classification,
        "reason": "550 refused",
    }
    (event,) = SendGrid().parse(json.dumps([item]).encode(), {})
    assert provider_reason(event) == reason


def test_without_a_provider_code_the_text_decides_and_complaints_are_feedback():
    def reason(**kw):
        return provider_reason(ProviderEvent(email="a@x.example", event_key="k", **kw))

    assert reason(type="hard", status="550", diagnostic="User unknown") == "userunknown"
    assert reason(type="soft", status="5.7.1", diagnostic="blocked using zen") == (
        "blocked"
    )
    assert reason(type="complaint") == "feedback"
    assert reason(type="ignored", status="5.1.1") == ""


def test_every_mapped_provider_reason_is_a_known_reason():
    assert set(SES_SUBTYPE_REASONS.values()) <= set(REASONS)
