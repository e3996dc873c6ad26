"""Amazon SES notifications through SNS (HTTPS subscription, raw delivery OFF).

Verification (spec §2.1, AWS "Verifying the signatures of Amazon SNS messages"):
1. the x-amz-sns-message-type header equals the body's Type;
2. SigningCertURL matches the strict pattern (never a suffix match on
   amazonaws.com: S3 buckets live there too, django-ses CVE/001);
3. the certificate is fetched over HTTPS through stmails.lib.http (timeout, no
   redirects) and cached by URL; it must be valid now;
4. RSA PKCS#1 v1.5 over the canonical string, SHA1 for SignatureVersion 1 and
   SHA256 for 2; other versions are refused;
5. TopicArn is in bounce.ses_topic_arns (a valid signature only proves "sent by
   SNS", any AWS account can aim a topic at us), except for a
   SubscriptionConfirmation while the admin has armed "accept the next
   subscription"; checked first, before anything is fetched;
6. Timestamp is at most MAX_AGE old (SNS retries for at most an hour).

Settings: listmonk's bounce.ses_enabled, plus bounce.ses_topic_arns and
bounce.ses_accept_next_subscription. Event key: bounce/complaint feedbackId (or
the SNS MessageId) + recipient, which survives both SNS retries and two topics
delivering one event.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bounces.parsing.families import SES_SUBTYPE_REASONS
from stmails.config import Key, SettingsError, as_bool, as_list_of
from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    Handshake,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
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
)

if TYPE_CHECKING:
    from cryptography import x509

log = logging.getLogger(__name__)

# Always used with fullmatch: `$` also matches before a trailing newline, which
# let "https://sns...pem\n" through.
CERT_URL_RE = re.compile(
    r"https://sns\.[a-z0-9\-]+\.amazonaws\.com(\.cn)?/SimpleNotificationService-[a-z0-9]+\.pem",
    re.IGNORECASE,
)
SNS_HOST_RE = re.compile(r"sns\.[a-z0-9\-]+\.amazonaws\.com(\.cn)?", re.IGNORECASE)
TOPIC_ARN_RE = re.compile(
    r"arn:aws(-cn|-us-gov)?:sns:[a-z0-9\-]+:\d{12}:[A-Za-z0-9_\-.]{1,256}"
)
NOTIFICATION_FIELDS = (
    "Message",
    "MessageId",
    "Subject",
    "Timestamp",
    "TopicArn",
    "Type",
)
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
MAX_AGE = timedelta(hours=2)
FETCH_TIMEOUT = 5.0


def now() -> datetime:  # tests move the clock to a real vector's time
    return datetime.now(UTC)


def as_topic_arn(name: str, value: Any) -> str:
    if not isinstance(value, str) or not TOPIC_ARN_RE.fullmatch(value.strip()):
        raise SettingsError(
            name,
            "must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ses-bounces",
        )
    return value.strip()


@lru_cache(maxsize=32)
def _certificate(url: str) -> x509.Certificate:
    """Fetch and parse a signing certificate; only successes are cached."""
    # Imported here, as in handshake(): X.509 and the HTTP client weigh more
    # than every parser together, and `manage.py parse_webhook` only parses.
    from cryptography import x509

    from stmails.lib import http

    try:
        answer = http.get(
            url, timeout=FETCH_TIMEOUT, https_only=True, max_bytes=64 * 1024
        )
    except http.HttpError as e:
        raise VerificationError(
            f"cannot fetch the SNS signing certificate: {e.message}", 400
        ) from None
    try:
        return x509.load_pem_x509_certificate(answer.body)
    except ValueError:
        raise VerificationError(
            "the SNS signing certificate is not a PEM certificate", 400
        ) from None


def clear_cert_cache() -> None:
    _certificate.cache_clear()


def canonical_string(msg: Mapping[str, Any]) -> bytes:
    fields = (
        NOTIFICATION_FIELDS
        if msg.get("Type") == "Notification"
        else CONFIRMATION_FIELDS
    )
    out = []
    for name in fields:
        if name in msg and msg[name] is not None:
            out.append(f"{name}\n{msg[name]}\n")
    return "".join(out).encode()


def verify_sns_signature(msg: Mapping[str, Any]) -> None:
    """Steps 2-4 of the module docstring; raises VerificationError."""
    cert_url = str(msg.get("SigningCertURL") or "")
    if not CERT_URL_RE.fullmatch(cert_url):
        raise VerificationError("SigningCertURL is not an SNS certificate URL", 400)
    version = str(msg.get("SignatureVersion") or "")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 (SNS v1 is SHA1)
    if algorithm is None:
        raise VerificationError(f"unsupported SignatureVersion {version!r}", 400)
    try:
        signature = base64.b64decode(str(msg.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("Signature is not base64", 400) from None
    cert = _certificate(cert_url)
    moment = now()
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise VerificationError("the SNS signing certificate is not valid now", 400)
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("the SNS signing certificate has no RSA key", 400)
    try:
        key.verify(signature, canonical_string(msg), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise VerificationError("the SNS signature does not verify", 400) from None


class Ses(Provider):
    slug = "ses"
    label = "Amazon SES (SNS)"
    flat_keys = {
        "enabled": Key(
            "bounce.ses_enabled",
            False,
            as_bool,
            section="bounce_providers",
            label="Enable Amazon SES",
        ),
        "topic_arns": Key(
            "bounce.ses_topic_arns",
            [],
            as_list_of(as_topic_arn, max_items=20),
            section="bounce_providers",
            label="Allowed SNS topic ARNs",
        ),
        "accept_next": Key(
            "bounce.ses_accept_next_subscription",
            False,
            as_bool,
            section="bounce_providers",
            label="Accept the next subscription from a new topic",
        ),
    }
    settings_key = flat_keys["enabled"].name
    reject_status = 403
    docs = (
        "Create an SNS topic, make SES publish Bounce and Complaint notifications to it "
        "(with original headers for the campaign link), add its ARN below, then "
        "subscribe https://<this host>/webhooks/service/ses to it (raw message delivery "
        "OFF). The subscription is confirmed automatically for an allowed topic."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        msg = load_json(raw_body)
        if not isinstance(msg, dict) or msg.get("Type") not in MESSAGE_TYPES:
            raise PayloadError("expected an SNS message with Type")
        if headers.get("x-amz-sns-message-type") != msg["Type"]:
            raise VerificationError(
                "x-amz-sns-message-type does not match the body's Type", 400
            )
        # The allow-list first: a topic nobody allowed must not make stmails
        # fetch anything (the certificate URL is the sender's choice).
        topic = msg.get("TopicArn")
        allowed = isinstance(topic, str) and topic in (config.get("topic_arns") or [])
        if not allowed and not (
            msg["Type"] == "SubscriptionConfirmation" and config.get("accept_next")
        ):
            raise VerificationError(f"topic {topic} is not allowed", self.reject_status)
        verify_sns_signature(msg)
        timestamp = parse_time(msg.get("Timestamp"))
        if timestamp is None or abs(now() - timestamp) > MAX_AGE:
            raise VerificationError("the SNS message is too old (replayed?)", 400)

    def handshake(
        self, raw_body: bytes, headers: Mapping[str, str], config: Mapping[str, Any]
    ) -> Handshake | None:
        msg = load_json(raw_body)
        if msg.get("Type") == "UnsubscribeConfirmation":
            # Never re-subscribe: an unsubscribe was someone's decision.
            return Handshake(
                note=f"SNS unsubscribe confirmation for {msg.get('TopicArn')} (nothing changed)"
            )
        if msg.get("Type") != "SubscriptionConfirmation":
            return None
        topic = str(msg.get("TopicArn") or "")
        url = str(msg.get("SubscribeURL") or "")
        parts = urlsplit(url)
        if parts.scheme != "https" or not SNS_HOST_RE.fullmatch(parts.hostname or ""):
            return Handshake(
                400,
                b"SubscribeURL is not an SNS address",
                note=f"refused SubscribeURL {url!r}",
            )
        from stmails.lib import http

        try:
            http.get(
                url, timeout=FETCH_TIMEOUT, https_only=True, follow_redirects=False
            )
        except http.HttpError as e:
            return Handshake(
                502,
                b"subscription confirmation failed",
                note=f"SNS confirmation failed: {e.message}",
            )
        changes: dict[str, Any] = {}
        arns = list(config.get("topic_arns") or [])
        if topic not in arns:
            changes = {
                "bounce.ses_topic_arns": [*arns, topic],
                "bounce.ses_accept_next_subscription": False,
            }
        return Handshake(
            200,
            b"subscribed",
            settings_changes=changes,
            note=f"SNS subscription confirmed for {topic}",
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        msg = load_json(raw_body)
        if not isinstance(msg, dict) or msg.get("Type") not in MESSAGE_TYPES:
            raise PayloadError("expected an SNS message with Type")
        if msg["Type"] != "Notification":
            return []
        try:
            event = json.loads(msg.get("Message") or "")
        except ValueError:
            # "Successfully validated SNS topic for Amazon SES event publishing." and friends.
            log.info("ses: SNS notice: %s", str(msg.get("Message"))[:200])
            return []
        if not isinstance(event, dict):
            return []
        return parse_ses_event(event, str(msg.get("MessageId") or ""))


def parse_ses_event(event: dict[str, Any], sns_message_id: str) -> list[ProviderEvent]:
    kind = event.get("notificationType") or event.get("eventType") or ""
    mail = event.get("mail") if isinstance(event.get("mail"), dict) else {}
    mail_headers = mail.get("headers")
    common = {
        "message_id": str(mail.get("messageId") or ""),
        "campaign_uuid": as_uuid_or_none(header_value(mail_headers, CAMPAIGN_HEADERS)),
        "subscriber_uuid": as_uuid_or_none(
            header_value(mail_headers, SUBSCRIBER_HEADERS)
        ),
    }
    if kind == "Bounce":
        detail = event.get("bounce") or {}
        recipients = detail.get("bouncedRecipients") or []
        bounce_type = detail.get("bounceType")
    elif kind == "Complaint":
        detail = event.get("complaint") or {}
        recipients = detail.get("complainedRecipients") or []
        bounce_type = None
    else:  # Delivery, DeliveryDelay, Send, Open...: nothing to record.
        detail = {}
        recipients = [{"emailAddress": a} for a in mail.get("destination") or []] or [
            {}
        ]
        bounce_type = None
    occurred = parse_time(detail.get("timestamp") or mail.get("timestamp"))
    base_key = detail.get("feedbackId") or sns_message_id
    events = []
    for rcpt in recipients:
        if not isinstance(rcpt, dict):
            continue
        email = recipient_address(rcpt.get("emailAddress"))
        status = str(rcpt.get("status") or "")
        if kind == "Bounce":
            if bounce_type == "Permanent" or status == "5.4.4":
                btype = HARD  # listmonk also treats 5.4.4 (invalid domain) as hard
            else:  # Transient, Undetermined
                btype = SOFT
        elif kind == "Complaint":
            btype = (
                IGNORED
                if detail.get("complaintFeedbackType") == "not-spam"
                else COMPLAINT
            )
        else:
            btype = IGNORED
        events.append(
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(f"{base_key}:{email}"),
                occurred_at=occurred,
                status=status,
                diagnostic=str(
                    rcpt.get("diagnosticCode")
                    or detail.get("complaintFeedbackType")
                    or ""
                )[:1000],
                raw=event,
                reason=SES_SUBTYPE_REASONS.get(
                    (bounce_type, detail.get("bounceSubType")), ""
                )
                if kind == "Bounce"
                else "",
                **common,
            )
        )
    return events
