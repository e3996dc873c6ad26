"""MailerSend webhooks (one JSON object per POST).

Verification: header `Signature` = hex HMAC-SHA256(signing secret, raw body)
(anymail webhooks/mailersend.py; spec §2.12). Event key: data.id.
Classification: activity.hard_bounced -> hard, activity.soft_bounced -> soft,
activity.spam_complaint -> complaint; other activities are ignored.
Campaign link: the message's custom headers or tags when MailerSend echoes them.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from webhooks.providers.verification import verify_body_hmac

TYPES = {
    "activity.hard_bounced": HARD,
    "activity.soft_bounced": SOFT,
    "activity.spam_complaint": COMPLAINT,
}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class MailerSend(Provider):
    slug = "mailersend"
    label = "MailerSend"
    settings_key = "bounce.mailersend"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "secret",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Signing secret",
        ),
    )
    reject_status = 401
    docs = (
        "In MailerSend: Domains → your domain → Webhooks → Add webhook, endpoint "
        "https://<this host>/webhooks/service/mailersend, events activity.hard_bounced, "
        "activity.soft_bounced and activity.spam_complaint; copy its signing secret."
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
            header="Signature",
            key_field="secret",
            status=self.reject_status,
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        payload = load_json(raw_body)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise PayloadError(
                'expected a MailerSend webhook object with "type" and "data"'
            )
        data = payload["data"]
        email_obj = _dict(data.get("email"))
        email = recipient_address(_dict(email_obj.get("recipient")).get("email"))
        message_id = str(_dict(email_obj.get("message")).get("id") or "")
        btype = TYPES.get(str(payload.get("type")), IGNORED)
        morph = _dict(data.get("morph"))
        echoed = email_obj.get("headers")
        key = data.get("id") or stable_key(
            payload.get("type"), message_id, email, data.get("created_at")
        )
        diagnostic = str(morph.get("reason") or "")
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(key),
                message_id=message_id,
                campaign_uuid=as_uuid_or_none(header_value(echoed, CAMPAIGN_HEADERS)),
                subscriber_uuid=as_uuid_or_none(
                    header_value(echoed, SUBSCRIBER_HEADERS)
                ),
                occurred_at=parse_time(data.get("created_at")),
                status=smtp_status(diagnostic),
                diagnostic=diagnostic[:1000],
                raw=payload,
            )
        ]
