"""Azure Communication Services email events through Event Grid (listmonk's provider).

Event Grid posts an array of events (Event Grid schema; a single CloudEvents
object is read too). Before delivering anything it sends a
SubscriptionValidationEvent; `handshake` answers {"validationResponse": code}.

Auth (as listmonk): a shared secret in the URL (`?code=...`, which Event Grid
keeps on every delivery, the validation one included) or in a header set as a
delivery property (bounce.azure.shared_secret_header, default
X-Listmonk-Webhook-Secret). Unlike listmonk, which accepts anything when no
secret is set, stmails refuses requests until a secret is configured: Event
Grid signs nothing, so the secret is the only proof of origin.

Classification of Microsoft.Communication.EmailDeliveryReportReceived by
data.status (listmonk's rules, spec §1 for suppressions):
- Bounced -> hard;
- Failed -> by the enhanced status code in deliveryStatusDetails.statusMessage
  (5.x.x hard, 4.x.x soft), else by keywords, else soft;
- FilteredSpam / Quarantined -> complaint when the text speaks of a complaint
  or abuse, else soft;
- Suppressed (ACS refusing to send to an address on its suppression list) is a
  provider-side suppression: ignored (listmonk records it as hard);
- Delivered, Expanded and other event types are ignored.
Event key: the Event Grid event id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    Field,
    Handshake,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
)
from webhooks.providers.parsing import (
    clip_key,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import matches, secrets

DEFAULT_HEADER = "X-Listmonk-Webhook-Secret"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
DELIVERY_REPORT = "Microsoft.Communication.EmailDeliveryReportReceived"
SOFT_WORDS = ("mailbox full", "temporar", "timeout", "rate limit", "throttl")
HARD_WORDS = ("invalid", "does not exist", "unknown user", "domain")
COMPLAINT_WORDS = ("complaint", "abuse")


def classify(status: str, details: str) -> str:
    status, details = status.strip().lower(), details.strip().lower()
    if status == "bounced":
        return HARD
    if status == "failed":
        code = smtp_status(details)
        if code:
            return HARD if code.startswith("5.") else SOFT
        if any(w in details for w in SOFT_WORDS):
            return SOFT
        if any(w in details for w in HARD_WORDS):
            return HARD
        return SOFT
    if status in ("filteredspam", "quarantined"):
        return COMPLAINT if any(w in details for w in COMPLAINT_WORDS) else SOFT
    return IGNORED


def _events(raw_body: bytes) -> list[dict]:
    data = load_json(raw_body)
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(i, dict) for i in items):
        raise PayloadError("expected an Event Grid array of event objects")
    return items


def _event_type(event: dict) -> str:
    return str(event.get("eventType") or event.get("type") or "")


class Azure(Provider):
    slug = "azure"
    label = "Azure Communication Services (Event Grid)"
    settings_key = "bounce.azure"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "shared_secret",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Shared secret",
        ),
        Field(
            "shared_secret_header",
            max_length=200,
            label=f"Secret header (default {DEFAULT_HEADER})",
        ),
    )
    reject_status = 401
    docs = (
        "In Azure: your Communication Services resource → Events → + Event Subscription, "
        "event type Email Delivery Report Received, endpoint Web Hook "
        "https://<this host>/webhooks/service/azure?code=<shared secret>."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        configured = list(secrets(config, "shared_secret"))
        if not configured:
            raise VerificationError(
                "no shared secret is configured", self.reject_status
            )
        header_name = (
            config.get("shared_secret_header") or ""
        ).strip() or DEFAULT_HEADER
        given = [
            str(v).strip()
            for v in (query.get("code"), headers.get(header_name))
            if v and str(v).strip()
        ]
        ok = False
        for secret in configured:
            for value in given:
                ok = matches(value, secret) or ok
        if not ok:
            raise VerificationError(
                "shared secret missing or wrong", self.reject_status
            )

    def handshake(
        self, raw_body: bytes, headers: Mapping[str, str], config: Mapping[str, Any]
    ) -> Handshake | None:
        try:
            events = _events(raw_body)
        except PayloadError:
            return None  # parse() reports it
        if not events or _event_type(events[0]) != VALIDATION_EVENT:
            return None
        data = events[0].get("data") if isinstance(events[0].get("data"), dict) else {}
        code = str(data.get("validationCode") or "").strip()
        if not code:
            return Handshake(
                status=400,
                body=b'{"message": "validationCode missing"}',
                content_type="application/json",
            )
        return Handshake(
            body=json.dumps({"validationResponse": code}).encode(),
            content_type="application/json",
            note="azure: Event Grid subscription validated",
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        return [self._event(e) for e in _events(raw_body)]

    def _event(self, event: dict) -> ProviderEvent:
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        details_obj = data.get("deliveryStatusDetails")
        details = (
            str(details_obj.get("statusMessage") or "")
            if isinstance(details_obj, dict)
            else ""
        )
        status = str(data.get("status") or "")
        btype = (
            classify(status, details)
            if _event_type(event) == DELIVERY_REPORT
            else IGNORED
        )
        email = recipient_address(data.get("recipient"))
        message_id = str(data.get("internetMessageId") or data.get("messageId") or "")
        key = event.get("id") or stable_key(data.get("messageId"), email, status)
        when = data.get("deliveryAttemptTimestamp") or data.get(
            "deliveryAttemptTimeStamp"
        )
        return ProviderEvent(
            email=email,
            type=btype if email else IGNORED,
            event_key=clip_key(key),
            message_id=message_id,
            occurred_at=parse_time(when or event.get("eventTime") or event.get("time")),
            status=smtp_status(details),
            diagnostic=details[:1000],
            raw=event,
        )
