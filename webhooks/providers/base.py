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
   rotation); compare them with `matches()` / hmac.compare_digest. These, with
   `basic_auth_ok`, `BasicAuthProvider` and `verify_body_hmac`, are in
   verification.py.
3. `handshake(raw_body, headers, config)` (optional) answers protocol messages
   that are not events (SES SubscriptionConfirmation, Azure validation): it
   returns a `Handshake` and the view answers it without storing anything.
4. `parse(raw_body, headers)` is PURE (no ORM, no network, no settings): bytes in,
   `ProviderEvent`s out, one per recipient, including ignored kinds (type
   "ignored", kept for the inbox page). Malformed input raises `PayloadError`
   (-> 400). Helpers (parsing.py): `load_json`, `stable_key`, `parse_time`,
   `header_value`, `smtp_status`...

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
