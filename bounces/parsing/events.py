"""What the parser finds in one message: the contract between parsing and recording."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BounceEvent:
    """One failed recipient (or one complaint) found in a message."""

    email: str  # the recipient the bounce is about (Final- or Original-Recipient)
    type: str  # "hard" | "soft" | "complaint"
    status: str | None = None  # RFC 3463 enhanced status code, e.g. "5.1.1"
    reason: str | None = None  # why this type, from the classification table
    diagnostic: str | None = None  # Diagnostic-Code or the MTA's text
    remote_mta: str | None = None
    action: str | None = None  # DSN Action: failed, delayed, ...
    # Found in the returned original message (headers or text/rfc822-headers):
    subscriber_uuid: str | None = (
        None  # X-Stmails-Subscriber (or X-Listmonk-Subscriber)
    )
    campaign_uuid: str | None = None  # X-Stmails-Campaign (or X-Listmonk-Campaign)
    message_id: str | None = None  # the original message's Message-ID
    original_recipient: str | None = None  # Original-Recipient when it differs
    # Added by the parser (optional): the DSN's Final-Recipient when it differs from
    # `email` (email is the Original-Recipient, the address as we sent it, when the
    # DSN has one; Final-Recipient is that address after forwarding or aliasing).
    final_recipient: str | None = None


@dataclass
class ParsedMessage:
    """The parse of one message.

    kind: "dsn" | "arf" | "nonstandard" | "autoreply" | "delayed" | "not_bounce"
    | "unparseable". `events` is empty for everything but real bounces and
    complaints. `error` says why a message could not be parsed.
    """

    kind: str
    events: list[BounceEvent] = field(default_factory=list)
    error: str | None = None
    # Headers of the bounce message itself, for display and diagnostics.
    message_id: str | None = None
    subject: str | None = None
    from_address: str | None = None
    date: str | None = None
    arrival_date: str | None = None  # a DSN's per-message Arrival-Date
    # The VERP return address local part (bounces+<token>@...) if found in To/Delivered-To.
    verp_token: str | None = None

    @property
    def is_bounce(self) -> bool:
        return bool(self.events)
