"""Postmark bounce and spam-complaint webhooks (one JSON object per POST).

Auth: Postmark has no signature; the webhook URL carries basic auth
(https://user:pass@host/webhooks/service/postmark). A failed check answers 403,
which stops Postmark's retries (spec §2.3). Settings: listmonk's bounce.postmark
{enabled, username, password}, plus stmails' previous_username/previous_password
(a second active pair while rotating).

Classification by `Type` (type names from the postmark npm Bounce.d.ts enum),
or by the numeric `TypeCode` when `Type` is missing; unknown types are logged
and ignored. The older bounce webhook has no `RecordType` (just `Type:
HardBounce`, `TypeCode: 1`...): a body with a known Type or TypeCode is read as
a Bounce (or a SpamComplaint for that type). Idempotency key: "RecordType:ID".
Campaign link: `Metadata` (Postmark echoes the metadata set at send time).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    PayloadError,
    ProviderEvent,
)
from webhooks.providers.parsing import (
    CAMPAIGN_HEADERS,
    SUBSCRIBER_HEADERS,
    as_uuid_or_none,
    clip_key,
    header_value,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import BasicAuthProvider

log = logging.getLogger(__name__)

BOUNCE_TYPES = {
    "HardBounce": HARD,
    "BadEmailAddress": HARD,
    "ManuallyDeactivated": HARD,
    "SoftBounce": SOFT,
    "Transient": SOFT,
    "DnsError": SOFT,
    # listmonk treats these as soft too.
    "SpamNotification": SOFT,
    "VirusNotification": SOFT,
    "DMARCPolicy": SOFT,
    "SpamComplaint": COMPLAINT,
    "AutoResponder": IGNORED,
    "AddressChange": IGNORED,
    "Subscribe": IGNORED,
    "Unsubscribe": IGNORED,
    "OpenRelayTest": IGNORED,
    "ChallengeVerification": IGNORED,
}
# Postmark's numeric bounce type codes (its "Bounce types" documentation).
TYPE_CODES = {
    1: "HardBounce",
    2: "Transient",
    16: "Unsubscribe",
    32: "Subscribe",
    64: "AutoResponder",
    128: "AddressChange",
    256: "DnsError",
    512: "SpamNotification",
    1024: "OpenRelayTest",
    4096: "SoftBounce",
    8192: "VirusNotification",
    16384: "ChallengeVerification",
    100000: "BadEmailAddress",
    100001: "SpamComplaint",
    100002: "ManuallyDeactivated",
    100009: "DMARCPolicy",
}
# Type -> reason where Postmark's type says it (the others: from Details).
TYPE_REASONS = {
    "BadEmailAddress": "userunknown",
    "DnsError": "networkerror",
    "SpamNotification": "spamdetected",
    "VirusNotification": "virusdetected",
    "DMARCPolicy": "authfailure",
}
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "subscriber")


class Postmark(BasicAuthProvider):
    slug = "postmark"
    label = "Postmark"
    settings_key = "bounce.postmark"
    reject_status = 403
    docs = (
        "In Postmark: Servers → your server → Webhooks → Add webhook, URL "
        "https://USERNAME:PASSWORD@<this host>/webhooks/service/postmark, "
        "events Bounce and Spam Complaint."
    )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, dict):
            raise PayloadError("expected a Postmark webhook object with RecordType")
        bounce_type = _bounce_type(data)
        if "RecordType" in data:
            record_type = str(data.get("RecordType"))
        elif bounce_type in BOUNCE_TYPES:  # the older format: no RecordType
            record_type = (
                "SpamComplaint" if bounce_type == "SpamComplaint" else "Bounce"
            )
        else:
            raise PayloadError("expected a Postmark webhook object with RecordType")
        if record_type == "Bounce":
            btype = BOUNCE_TYPES.get(str(bounce_type))
            if btype is None:
                log.warning(
                    "postmark: unknown bounce type %r ignored", data.get("Type")
                )
                btype = IGNORED
        elif record_type == "SpamComplaint":
            btype = COMPLAINT
        else:  # Delivery, Open, Click, SubscriptionChange: nothing to record.
            btype = IGNORED
        email = recipient_address(data.get("Email") or data.get("Recipient"))
        if data.get("ID") is not None:
            key = f"{record_type}:{data['ID']}"
        else:
            key = stable_key(
                record_type,
                data.get("MessageID"),
                email,
                data.get("ChangedAt")
                or data.get("DeliveredAt")
                or data.get("ReceivedAt"),
            )
        metadata = (
            data.get("Metadata") if isinstance(data.get("Metadata"), dict) else {}
        )
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(key),
                message_id=str(data.get("MessageID") or ""),
                campaign_uuid=as_uuid_or_none(header_value(metadata, CAMPAIGN_KEYS)),
                subscriber_uuid=as_uuid_or_none(
                    header_value(metadata, SUBSCRIBER_KEYS)
                ),
                occurred_at=parse_time(data.get("BouncedAt") or data.get("ChangedAt")),
                status=smtp_status(data.get("Details"), data.get("Description")),
                diagnostic=str(data.get("Details") or data.get("Description") or "")[
                    :1000
                ],
                raw=data,
                reason=TYPE_REASONS.get(str(bounce_type), "")
                if record_type == "Bounce"
                else "",
            )
        ]


def _bounce_type(data: dict) -> str | None:
    """The bounce type name: `Type`, else the name of a known `TypeCode`."""
    name = data.get("Type")
    if isinstance(name, str) and name:
        return name
    code = data.get("TypeCode")
    if isinstance(code, int) and not isinstance(code, bool):
        return TYPE_CODES.get(code)
    return None
