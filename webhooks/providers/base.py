"""The contract every provider module follows (one module per provider).

A provider is a subclass of `Provider`, listed in `webhooks/providers/registry.py`
under its URL slug (POST /webhooks/service/<slug>). The view drives it per request:

1. `read_config()` (classmethod) reads its settings from the database on every
   request and returns a dict with at least "enabled" (secrets decrypted). A
   provider that is disabled (or unknown) answers 404.
2. `verify(raw_body, headers, query, config)` checks the request for real
   (signature, basic auth, secret header...) on the RAW bytes and raises
   `VerificationError(message, status)` when it fails; `status` is the one that
   stops this provider's retries where its docs name one (class attribute
   `reject_status`). Secrets come from `secrets(config, field)`, which yields the
   current value and the optional `previous_<field>` (two active secrets, for
   rotation); compare them with `matches()` / hmac.compare_digest.
3. `handshake(raw_body, headers, config)` (optional) answers protocol messages
   that are not events (SES SubscriptionConfirmation, Azure validation): it
   returns a `Handshake` and the view answers it without storing anything.
4. `parse(raw_body, headers)` is PURE (no ORM, no network, no settings): bytes in,
   `ProviderEvent`s out, one per recipient, including ignored kinds (type
   "ignored", kept for the inbox page). Malformed input raises `PayloadError`
   (-> 400). Helpers: `load_json`, `stable_key`, `parse_time`.

`headers` is a case-insensitive mapping (request.headers, or
django.utils.datastructures.CaseInsensitiveMapping); `query` a plain dict.

Settings: a provider declares `settings_key` ("bounce.<slug>") and `fields`
(`Field` list: name, secret, rotatable); `declared_keys()` makes one object key
{enabled, <fields>..., previous_<rotatable fields>...} which
`register_settings()` registers (encrypted, masked). Providers with listmonk's
flat keys (ses, sendgrid) declare them once in `flat_keys` (config field ->
Key): registration, `settings_keys()` and `read_config()` all read that map.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from bounces.parsing.classify import classify
from stmails.config import (
    Key,
    Validator,
    as_bool,
    as_object,
    as_str,
    get_value,
    get_values,
    register,
)

HARD, SOFT, COMPLAINT, IGNORED = "hard", "soft", "complaint", "ignored"
TYPES = (HARD, SOFT, COMPLAINT, IGNORED)
# Headers we add to outgoing mail and some providers echo back (listmonk's too).
CAMPAIGN_HEADERS = ("x-stmails-campaign", "x-listmonk-campaign")
SUBSCRIBER_HEADERS = ("x-stmails-subscriber", "x-listmonk-subscriber")
EVENT_KEY_MAX = 200  # the inbox prefixes "<provider>:" within Bounce.event_key's 255


class VerificationError(Exception):
    """The request is not from the provider: nothing is stored; answer `status`."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class PayloadError(Exception):
    """The body is not what this provider sends (bad JSON, wrong shape): 400."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProviderEvent:
    """One recipient's event, normalized. `type` is hard|soft|complaint|ignored."""

    email: str  # lowercased
    type: str
    event_key: str  # the provider's event id, or stable_key(...) of stable fields
    message_id: str = ""  # the provider's message id (or the Message-ID header)
    campaign_uuid: str | None = None
    subscriber_uuid: str | None = None
    occurred_at: datetime | None = None
    status: str = ""  # SMTP status such as 5.1.1 or 550 when the provider gives one
    diagnostic: str = ""  # the provider's reason / the remote server's text
    raw: dict[str, Any] = field(default_factory=dict)
    # bounces.parsing.reasons, when the provider's own codes say it (SES
    # bounceSubType, SendGrid bounce_classification...); else provider_reason
    # reads the status and diagnostic.
    reason: str = ""

    @property
    def is_ignored(self) -> bool:
        return self.type == IGNORED


def provider_reason(event: ProviderEvent) -> str:
    """The bounce reason stored for an event.

    The provider's own code when its parser mapped one, "feedback" for a
    complaint, else the classifier that reads mailbox bounces, on the SMTP
    status and text the provider passed on. The provider's hard/soft verdict
    is kept as it is (listmonk's semantics); the reason explains it.
    """
    if event.type == IGNORED:
        return ""
    if event.reason:
        return event.reason
    if event.type == COMPLAINT:
        return "feedback"
    status = event.status if "." in event.status else None
    text = " ".join(t for t in (event.status, event.diagnostic) if t)
    return classify(status, text).reason


@dataclass
class Handshake:
    """A protocol answer instead of events (subscription confirmations...)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    # Settings to store once answered (e.g. SES remembers a newly accepted topic).
    settings_changes: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # logged


@dataclass(frozen=True)
class Field:
    """One credential or option in a provider's settings object."""

    name: str
    secret: bool = False
    rotatable: bool = False  # adds previous_<name>: a second active value
    max_length: int = 2000
    label: str = ""


class Provider:
    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    settings_key: ClassVar[str] = ""  # "bounce.<slug>"
    fields: ClassVar[tuple[Field, ...]] = ()
    # The status that stops the provider's retries on a failed verification.
    reject_status: ClassVar[int] = 401
    docs: ClassVar[str] = ""  # a line shown on the settings page

    # --- settings ------------------------------------------------------------

    @classmethod
    def all_fields(cls) -> list[Field]:
        out = []
        for f in cls.fields:
            out.append(f)
            if f.rotatable:
                out.append(
                    Field(
                        f"previous_{f.name}",
                        secret=f.secret,
                        max_length=f.max_length,
                        label=f"Previous {f.label or f.name} (rotation)",
                    )
                )
        return out

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return {"enabled": False, **{f.name: "" for f in cls.all_fields()}}

    # listmonk's flat keys, for the providers that have them (SES, SendGrid):
    # config field -> Key, declared once. Empty: one object key, settings_key.
    flat_keys: ClassVar[dict[str, Key]] = {}

    @classmethod
    def object_key(cls) -> Key:
        validators: dict[str, Validator] = {"enabled": as_bool}
        for f in cls.all_fields():
            validators[f.name] = as_str(f.max_length)
        return Key(
            cls.settings_key,
            cls.default_config(),
            as_object(validators, defaults=cls.default_config()),
            secret=tuple(f.name for f in cls.all_fields() if f.secret),
            section="bounce_providers",
            label=cls.label,
        )

    @classmethod
    def declared_keys(cls) -> tuple[Key, ...]:
        return tuple(cls.flat_keys.values()) or (cls.object_key(),)

    @classmethod
    def register_settings(cls) -> None:
        for key in cls.declared_keys():
            register(key)

    @classmethod
    def settings_keys(cls) -> tuple[str, ...]:
        return tuple(k.name for k in cls.flat_keys.values()) or (cls.settings_key,)

    @classmethod
    def read_config(cls) -> dict[str, Any]:
        """Read per request (a change needs no restart); secrets decrypted."""
        if not cls.flat_keys:
            return get_value(cls.settings_key)
        values = get_values(*cls.settings_keys())
        return {field: values[key.name] for field, key in cls.flat_keys.items()}

    # --- request handling ------------------------------------------------------

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        raise NotImplementedError

    def handshake(
        self, raw_body: bytes, headers: Mapping[str, str], config: Mapping[str, Any]
    ) -> Handshake | None:
        return None

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        raise NotImplementedError


# --- helpers for provider modules ---------------------------------------------------


def secrets(config: Mapping[str, Any], name: str) -> Iterator[str]:
    """The current value of a credential, then its previous one (rotation)."""
    for key in (name, f"previous_{name}"):
        value = config.get(key) or ""
        if value:
            yield value


def matches(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison of two strings or byte strings."""
    if isinstance(given, str):
        given = given.encode()
    if isinstance(expected, str):
        expected = expected.encode()
    return hmac.compare_digest(given, expected)


def hmac_sha256_hex(key: str | bytes, data: bytes) -> str:
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def load_json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadError("the body is not valid JSON") from None


def stable_key(*parts: Any) -> str:
    """An event key for providers with no event id: a hash of stable fields."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def clip_key(key: Any) -> str:
    key = str(key)
    if len(key) > EVENT_KEY_MAX:
        return stable_key(key)
    return key


def parse_time(value: Any) -> datetime | None:
    """Epoch seconds (int/float/str) or ISO 8601; None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) or (
            isinstance(value, str) and value.replace(".", "", 1).isdigit()
        ):
            return datetime.fromtimestamp(float(value), tz=UTC)
        text = str(value).strip().replace("Z", "+00:00")
        # .NET-style 7-digit fractions (Postmark) are more than fromisoformat takes.
        if "." in text:
            head, _, rest = text.partition(".")
            digits = "".join(c for c in rest if c.isdigit())
            tail = rest[len(digits) :]
            text = f"{head}.{digits[:6]}{tail}"
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def recipient_address(value: Any) -> str:
    """The bare, lowercased address in a provider's recipient field ("" when it
    is not a string). Lenient: matching, not validation, decides what it is."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    # "Name <a@b>" forms appear in some providers' fields.
    if "<" in value and value.endswith(">"):
        value = value[value.rindex("<") + 1 : -1]
    return value.strip().lower()


def header_value(headers: Any, names: tuple[str, ...]) -> str | None:
    """Find one of `names` in echoed headers: a dict, or a list of {name, value} / pairs."""
    if isinstance(headers, dict):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        for n in names:
            v = lowered.get(n)
            if isinstance(v, str) and v.strip():
                return v.strip()
        return None
    if isinstance(headers, list):
        for item in headers:
            if isinstance(item, dict):
                k, v = (
                    item.get("name") or item.get("Name"),
                    item.get("value") or item.get("Value"),
                )
            elif isinstance(item, list | tuple) and len(item) == 2:
                k, v = item
            else:
                continue
            if isinstance(k, str) and k.lower() in names and isinstance(v, str):
                return v.strip()
    return None


def as_uuid_or_none(value: Any) -> str | None:
    import uuid

    if not value:
        return None
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def smtp_status(*texts: Any) -> str:
    """The first RFC 3463 enhanced status code (5.1.1) found in the texts, or ""."""
    for text in texts:
        if isinstance(text, str):
            m = STATUS_RE.search(text)
            if m:
                return m.group(1)
    return ""


def basic_auth_ok(
    headers: Mapping[str, str],
    config: Mapping[str, Any],
    user_field: str = "username",
    secret_field: str = "password",  # noqa: S107 (a field name, not a password)
) -> bool:
    """Basic auth against the configured pair or the previous one (rotation).

    A previous pair with an empty previous username reuses the current username.
    No configured password means nothing can match: fail closed.
    """
    auth = headers.get("Authorization") or ""
    scheme, _, encoded = auth.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        user, sep, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    if not sep:
        return False
    pairs = [(config.get(user_field) or "", config.get(secret_field) or "")]
    previous = config.get(f"previous_{secret_field}") or ""
    if previous:
        prev_user = config.get(f"previous_{user_field}") or pairs[0][0]
        pairs.append((prev_user, previous))
    ok = False
    for want_user, want_password in pairs:
        if not want_password:
            continue
        # Both comparisons always run: no early exit that times the username.
        pair_ok = matches(user, want_user) & matches(password, want_password)
        ok = ok or pair_ok
    return ok


# The pair a provider that signs nothing sends in its webhook URL
# (https://USER:PASSWORD@host/...), with a previous pair for rotation.
BASIC_AUTH_FIELDS: tuple[Field, ...] = (
    Field("username", rotatable=True, max_length=200, label="Username"),
    Field("password", secret=True, rotatable=True, max_length=500, label="Password"),
)


class BasicAuthProvider(Provider):
    """A provider verified by HTTP basic auth alone (Postmark, Mailjet, SparkPost)."""

    fields: ClassVar[tuple[Field, ...]] = BASIC_AUTH_FIELDS

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        if not basic_auth_ok(headers, config):
            raise VerificationError("basic auth missing or wrong", self.reject_status)


def verify_body_hmac(
    raw_body: bytes,
    headers: Mapping[str, str],
    config: Mapping[str, Any],
    *,
    header: str,
    key_field: str,
    status: int,
) -> None:
    """The hex HMAC-SHA256 of the raw body in one header (Forward Email,
    MailerSend, Mailtrap), checked against every active secret."""
    given = (headers.get(header) or "").strip().lower()
    if not given:
        raise VerificationError(f"{header} header missing", status)
    ok = False
    # No short cut: every active secret is compared, whichever one matches.
    for secret in secrets(config, key_field):
        ok |= matches(given, hmac_sha256_hex(secret, raw_body))
    if not ok:
        raise VerificationError("signature does not verify", status)
