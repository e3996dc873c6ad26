"""Sendamatic feedback webhooks (bounces and complaints, one JSON object per POST).

Sendamatic signs nothing: its only documented auth is the custom headers set per
Mail Identity (spec §2.5). The admin picks a header name and a secret value,
sets them in Sendamatic and here (bounce.sendamatic {enabled, header_name,
header_value, previous_header_value}); the value is compared in constant time.

Classification by bounce.bounce_type: "Hard ..." or reputation_score true is
hard; "Soft bounce - ...", "General bounce", "Mail block - ..." and unknown
types are soft; "Undetermined" (maybe an auto-reply) and "Suspension list" (its
own suppression) record nothing. Complaints are complaints; the recipient comes
from the ARF report (Original-Rcpt-To) or the original message's To.
Unsubscription notifications are logged and ignored. No event id: the key hashes
notification_type, message_id and recipient. Custom headers are not echoed, so
there is no campaign link beyond the Message-ID.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import getaddresses
from typing import Any, ClassVar

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    Field,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
)
from webhooks.providers.parsing import (
    load_json,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import matches, secrets

IGNORED_BOUNCES = ("undetermined", "suspension list")
RCPT_RE = re.compile(r"^Original-Rcpt-To:\s*(?:rfc822;)?\s*(\S+)", re.I | re.M)
TO_RE = re.compile(r"^To:\s*(.+)$", re.I | re.M)


def classify_bounce(bounce: Mapping[str, Any]) -> str:
    kind = str(bounce.get("bounce_type") or "").strip().lower()
    if kind.startswith(IGNORED_BOUNCES):
        return IGNORED
    if kind.startswith("hard") or bounce.get("reputation_score") is True:
        return HARD
    return SOFT


def complaint_recipient(complaint: Mapping[str, Any]) -> str:
    m = RCPT_RE.search(str(complaint.get("report") or ""))
    if m:
        return recipient_address(m.group(1))
    m = TO_RE.search(str(complaint.get("original") or ""))
    if m:
        addresses = getaddresses([m.group(1)])
        if addresses:
            return recipient_address(addresses[0][1])
    return recipient_address(complaint.get("recipient"))


class Sendamatic(Provider):
    slug = "sendamatic"
    label = "Sendamatic"
    settings_key = "bounce.sendamatic"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("header_name", max_length=100, label="Header name"),
        Field(
            "header_value",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Header value",
        ),
    )
    reject_status = 401
    docs = (
        "In Sendamatic: Mail Identities → your identity → Feedback webhook URL "
        "https://<this host>/webhooks/service/sendamatic, with a custom header whose "
        "name and secret value you also enter here."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        name = (config.get("header_name") or "").strip()
        given = headers.get(name) if name else None
        if not given:
            raise VerificationError("secret header missing", self.reject_status)
        ok = False
        for expected in secrets(config, "header_value"):
            ok |= matches(given.strip(), expected)
        if not ok:
            raise VerificationError("secret header value is wrong", self.reject_status)

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, dict) or "notification_type" not in data:
            raise PayloadError(
                "expected a Sendamatic notification with notification_type"
            )
        kind = str(data.get("notification_type"))
        detail = data.get(kind) if isinstance(data.get(kind), dict) else {}
        if kind == "bounce":
            email = recipient_address(
                detail.get("original_recipient") or detail.get("recipient")
            )
            btype = classify_bounce(detail)
            diagnostic = str(detail.get("reason") or "")
        elif kind == "complaint":
            email = complaint_recipient(detail)
            btype = COMPLAINT
            diagnostic = str(detail.get("description") or "")
        else:  # unsubscription (shape unpublished) and anything new
            email, btype, diagnostic = (
                recipient_address(detail.get("recipient")),
                IGNORED,
                "",
            )
        message_id = str(detail.get("message_id") or "")
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=stable_key(kind, message_id, email),
                message_id=message_id,
                status=smtp_status(diagnostic, detail.get("body")),
                diagnostic=diagnostic[:1000],
                raw=data,
            )
        ]
