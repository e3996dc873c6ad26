"""SparkPost (Bird) event webhooks: an array of {"msys": {"<category>": {...}}}.

Auth: SparkPost signs nothing; it sends basic auth (or fetches an OAuth2 token,
not supported here). An empty {"msys": {}} is the ping SparkPost sends when the
webhook is created or tested: it produces no event. Retries for 8 h, 10 s timeout.

Classification (spec §2.9) by bounce_class for bounce and out_of_band events,
following anymail's map of SparkPost's bounce-class article:
hard 10 (invalid recipient), 30 (no RCPT); soft 20-24, 40, 60, 70, 100;
block classes 25, 50-54 are the receiver refusing *us* (policy, reputation):
soft, so one does not blocklist the recipient; 1 (undetermined) soft; 90
(unsubscribe) ignored. spam_complaint -> complaint. delay, policy_rejection
(SparkPost's own refusal), generation and engagement events are ignored.
Event key: event_id. The message id reported is transmission_id (what the
transmissions API returned when sending).
"""

from __future__ import annotations

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

HARD_CLASSES = {"10", "30"}
IGNORED_CLASSES = {"90"}
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "stmails_campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "stmails_subscriber")


def classify(event: dict) -> str:
    kind = event.get("type")
    if kind == "spam_complaint":
        return COMPLAINT
    if kind in ("bounce", "out_of_band"):
        bounce_class = str(event.get("bounce_class") or "").strip()
        if bounce_class in HARD_CLASSES:
            return HARD
        if bounce_class in IGNORED_CLASSES:
            return IGNORED
        return SOFT
    return IGNORED


class SparkPost(BasicAuthProvider):
    slug = "sparkpost"
    label = "SparkPost"
    settings_key = "bounce.sparkpost"
    reject_status = 401
    docs = (
        "In SparkPost: Configuration → Webhooks → New webhook, target "
        "https://<this host>/webhooks/service/sparkpost, authentication Basic Auth "
        "with the username and password below, events bounce, out-of-band and spam complaint."
    )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, list) or not all(
            isinstance(i, dict) and isinstance(i.get("msys"), dict) for i in data
        ):
            raise PayloadError('expected a SparkPost array of {"msys": {...}} objects')
        events = []
        for item in data:
            for event in item["msys"].values():  # one category per item; {} is a ping
                if isinstance(event, dict):
                    events.append(self._event(event))
        return events

    def _event(self, event: dict) -> ProviderEvent:
        email = recipient_address(event.get("raw_rcpt_to") or event.get("rcpt_to"))
        meta: dict = {}
        for name in ("rcpt_meta", "metadata"):
            if isinstance(event.get(name), dict):
                meta = {**event[name], **meta}
        reason = str(event.get("raw_reason") or event.get("reason") or "")
        key = event.get("event_id") or stable_key(
            event.get("type"), event.get("message_id"), email, event.get("timestamp")
        )
        return ProviderEvent(
            email=email,
            type=classify(event) if email else IGNORED,
            event_key=clip_key(key),
            message_id=str(
                event.get("transmission_id") or event.get("message_id") or ""
            ),
            campaign_uuid=as_uuid_or_none(header_value(meta, CAMPAIGN_KEYS)),
            subscriber_uuid=as_uuid_or_none(header_value(meta, SUBSCRIBER_KEYS)),
            occurred_at=parse_time(event.get("timestamp")),
            status=smtp_status(reason) or str(event.get("error_code") or ""),
            diagnostic=reason[:1000],
            raw=event,
        )
