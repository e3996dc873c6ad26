"""Forward Email bounce webhooks (one JSON object per bounce, outbound SMTP).

Verification (spec §2.4): X-Webhook-Signature is the hex HMAC-SHA256 of the raw
body, keyed with the domain's "Webhook Signature Payload Verification Key"
(scheme confirmed by listmonk's forwardemail.go). Settings: listmonk's
bounce.forwardemail {enabled, key}, plus stmails' previous_key (rotation).

Classification: hard when bounce.category is block, recipient, spam or virus
(the FAQ: "you should definitely remove the user"), soft otherwise. There are no
complaint events and no event id: the key hashes email_id, recipient, bounced_at.
Forward Email waits only 5 s for the answer, so the view just stores the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from webhooks.providers.base import (
    HARD,
    IGNORED,
    SOFT,
    Field,
    PayloadError,
    Provider,
    ProviderEvent,
)
from webhooks.providers.parsing import (
    CAMPAIGN_HEADERS,
    SUBSCRIBER_HEADERS,
    as_uuid_or_none,
    header_value,
    load_json,
    parse_time,
    recipient_address,
    stable_key,
)
from webhooks.providers.verification import verify_body_hmac

SIGNATURE_HEADER = "X-Webhook-Signature"
HARD_CATEGORIES = {"block", "recipient", "spam", "virus"}


class ForwardEmail(Provider):
    slug = "forwardemail"
    label = "Forward Email"
    settings_key = "bounce.forwardemail"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("key", secret=True, rotatable=True, max_length=500, label="Webhook key"),
    )
    reject_status = 401
    docs = (
        "In Forward Email: My Account → Domains → Settings → Bounce Webhook URL "
        "https://<this host>/webhooks/service/forwardemail; copy the Webhook Signature "
        "Payload Verification Key here."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        verify_body_hmac(
            raw_body,
            headers,
            config,
            header=SIGNATURE_HEADER,
            key_field="key",
            status=self.reject_status,
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, dict) or "recipient" not in data:
            raise PayloadError("expected a Forward Email bounce object with recipient")
        bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
        category = str(bounce.get("category") or "").lower()
        email = recipient_address(data.get("recipient"))
        echoed = data.get("headers")
        return [
            ProviderEvent(
                email=email,
                type=(HARD if category in HARD_CATEGORIES else SOFT)
                if email
                else IGNORED,
                event_key=stable_key(
                    data.get("email_id"), email, data.get("bounced_at")
                ),
                message_id=str(data.get("email_id") or ""),
                campaign_uuid=as_uuid_or_none(header_value(echoed, CAMPAIGN_HEADERS)),
                subscriber_uuid=as_uuid_or_none(
                    header_value(echoed, SUBSCRIBER_HEADERS)
                ),
                occurred_at=parse_time(data.get("bounced_at")),
                status=str(bounce.get("status") or data.get("response_code") or ""),
                diagnostic=str(data.get("response") or data.get("message") or "")[
                    :1000
                ],
                raw=data,
            )
        ]
