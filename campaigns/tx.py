"""One-off mail through the outbox: a campaign's test send and listmonk's /api/tx.

Both go through stmails.outbox.queue_mail, so they get its retries, crash
safety and RCPT-rejection handling. Every mail to a known subscriber carries
subscriber_id and X-Stmails-Subscriber: a bounce of it (SMTP rejection, or a
mailbox/provider bounce matched by Message-ID, header or recipient) counts
against the subscriber like a campaign bounce (listmonk's #2193 does not).

All recipients and all content are checked and rendered before the first
mail is queued, and the mails are queued in one transaction: one bad
recipient means nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.template import TemplateSyntaxError

from campaigns.models import Campaign
from campaigns.rendering import MailLinks, Renderer, build_context
from campaigns.sending.message import CAMPAIGN_HEADER, PROTECTED, SUBSCRIBER_HEADER
from campaigns.services import (
    CampaignError,
    clean_fields,
    clean_from_email,
    clean_headers,
)
from stmails import config
from stmails.models import OutgoingMail
from stmails.outbox import queue_mail
from subscribers.links import (
    list_unsubscribe_headers,
    preferences_url,
    unsubscribe_url,
)
from subscribers.models import MailingList, Subscriber

TX_CONTENT_TYPES = ("html", "plain", "markdown")
SUBSCRIBER_MODES = ("default", "fallback", "external")
# Campaign fields a test send may override with unsaved edits (listmonk posts
# the whole campaign form).
TEST_FIELDS = (
    "subject", "from_email", "body", "altbody", "template_body", "headers",
    "content_type", "template_id",
)  # fmt: skip


@dataclass(frozen=True)
class Recipient:
    email: str
    subscriber: Subscriber | None = None


# --- recipients -------------------------------------------------------------------


def _clean_email(raw: Any, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise CampaignError(field, "must be an e-mail address")
    email = raw.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CampaignError(field, f"{email!r} is not a valid e-mail address") from None
    return email


def _as_list(data: dict[str, Any], field: str) -> list[Any]:
    raw = data.get(field)
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise CampaignError(field, "must be a list")
    return raw


def subscribers_by_email(emails: Iterable[str]) -> dict[str, Subscriber]:
    """Existing subscribers keyed by lowercased address (addresses are unique
    case-insensitively)."""
    lowered = {e.lower() for e in emails}
    found = Subscriber.objects.annotate(email_lower=Lower("email")).filter(
        email_lower__in=lowered
    )
    return {s.email.lower(): s for s in found}


def _ids(data: dict[str, Any]) -> list[tuple[int, str]]:
    raw = []
    if data.get("subscriber_id") not in (None, ""):
        raw.append((data["subscriber_id"], "subscriber_id"))
    raw += [(v, "subscriber_ids") for v in _as_list(data, "subscriber_ids")]
    ids = []
    for value, field in raw:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise CampaignError(field, f"{value!r} is not a subscriber id")
        try:
            ids.append((int(value), field))
        except ValueError:
            raise CampaignError(field, f"{value!r} is not a subscriber id") from None
    return ids


def _emails(data: dict[str, Any]) -> list[tuple[str, str]]:
    raw = []
    if data.get("subscriber_email") not in (None, ""):
        raw.append((data["subscriber_email"], "subscriber_email"))
    raw += [(v, "subscriber_emails") for v in _as_list(data, "subscriber_emails")]
    return [(_clean_email(value, field), field) for value, field in raw]


def tx_recipients(data: dict[str, Any]) -> list[Recipient]:
    mode = data.get("subscriber_mode") or "default"
    if mode not in SUBSCRIBER_MODES:
        raise CampaignError(
            "subscriber_mode", f"must be one of {', '.join(SUBSCRIBER_MODES)}"
        )
    ids, emails = _ids(data), _emails(data)
    if not ids and not emails:
        raise CampaignError(
            "subscriber_emails",
            "give subscriber_email, subscriber_id, subscriber_emails or subscriber_ids",
        )
    if mode == "external" and ids:
        raise CampaignError(ids[0][1], "external mode takes e-mail addresses, not ids")
    out: list[Recipient] = []
    by_id = Subscriber.objects.in_bulk([i for i, _ in ids])
    for pk, field in ids:
        if pk not in by_id:
            raise CampaignError(field, f"subscriber {pk} not found")
        out.append(Recipient(by_id[pk].email, by_id[pk]))
    known = subscribers_by_email(e for e, _ in emails) if mode != "external" else {}
    for email, field in emails:
        subscriber = known.get(email.lower())
        if subscriber is None and mode == "default":
            raise CampaignError(field, f"{email} is not a subscriber")
        out.append(Recipient(subscriber.email if subscriber else email, subscriber))
    # One mail per address even when given twice (by id and by e-mail).
    return list({r.email.lower(): r for r in out}.values())


def _subscriber_context(recipient: Recipient) -> dict[str, Any]:
    s = recipient.subscriber
    if s is None:
        return {"email": recipient.email}
    return {"name": s.name, "email": s.email, "uuid": s.uuid, "attribs": s.attribs}


def _custom_headers(items: list[dict[str, str]]) -> dict[str, str]:
    # The same rule as campaign mail: custom headers cannot replace the ones
    # bounce matching relies on.
    return {
        name: value
        for item in items
        for name, value in item.items()
        if name.lower() not in PROTECTED
    }


def _renderer(**kw: str) -> Renderer:
    try:
        return Renderer(**kw)
    except TemplateSyntaxError as err:
        raise CampaignError("body", f"template error: {err}") from None


# --- /api/tx ----------------------------------------------------------------------


def stored_subject(subject: str) -> str:
    """The rendered subject, refused when longer than a mail header line may be
    (RFC 5322's 998 characters, the outbox column's size)."""
    limit = OutgoingMail._meta.get_field("subject").max_length
    if len(subject) > limit:
        raise CampaignError("subject", f"must be at most {limit} characters")
    return subject


def send_tx(data: dict[str, Any]) -> int:
    """Queue one transactional mail per recipient; returns how many."""
    if data.get("template_id") not in (None, "", 0):
        raise CampaignError(
            "template_id", "templates are not supported; send subject and body"
        )
    if (data.get("messenger") or "email") != "email":
        raise CampaignError("messenger", 'only "email" is supported')
    content_type = data.get("content_type") or "html"
    if content_type not in TX_CONTENT_TYPES:
        raise CampaignError(
            "content_type", f"must be one of {', '.join(TX_CONTENT_TYPES)}"
        )
    for field in ("subject", "body", "altbody"):
        if not isinstance(data.get(field) or "", str):
            raise CampaignError(field, "must be a string")
    subject, body = (data.get("subject") or "").strip(), data.get("body") or ""
    if not subject:
        raise CampaignError("subject", "is required")
    if not body.strip():
        raise CampaignError("body", "is required")
    extra = data.get("data")
    if extra in (None, ""):
        extra = {}
    if not isinstance(extra, dict):
        raise CampaignError("data", "must be an object")
    from_email = clean_from_email(data.get("from_email")) or None
    headers = _custom_headers(clean_headers(data.get("headers")))
    recipients = tx_recipients(data)
    try:
        subject_renderer = Renderer(content_type="plain", body="", subject=subject)
    except TemplateSyntaxError as err:
        raise CampaignError("subject", f"template error: {err}") from None
    renderer = _renderer(
        content_type=content_type, body=body, altbody=data.get("altbody") or ""
    )
    mails = []
    for r in recipients:
        context = dict(build_context(_subscriber_context(r)), data=extra)
        rendered = renderer.render(context)
        mail_headers = dict(headers)
        if r.subscriber is not None:
            mail_headers[SUBSCRIBER_HEADER] = str(r.subscriber.uuid)
        mails.append(
            {
                "to": r.email,
                "subject": stored_subject(subject_renderer.render(context).subject),
                "text": rendered.text or " ",
                "html": rendered.html,
                "headers": mail_headers,
                "from_email": from_email,
                "kind": "tx",
                "subscriber_id": r.subscriber.pk if r.subscriber else None,
            }
        )
    with transaction.atomic():
        for mail in mails:
            queue_mail(**mail)
    return len(mails)


# --- campaign test send -----------------------------------------------------------


def parse_addresses(raw: Any) -> list[str]:
    """The "subscribers" of a test send: a list, or a comma-separated string."""
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not raw:
        raise CampaignError(
            "subscribers", "give at least one subscriber e-mail address"
        )
    return [_clean_email(value, "subscribers") for value in raw]


def send_test(
    campaign: Campaign, emails: list[str], data: dict[str, Any] | None = None
) -> int:
    """Send the campaign, with unsaved edits from `data`, to existing subscribers.

    The mails carry the campaign's headers as a real send does (the subject is
    kept as is), so a test shows exactly what subscribers will get.
    """
    edits = {k: v for k, v in (data or {}).items() if k in TEST_FIELDS}
    fields = {
        "subject": campaign.subject, "from_email": campaign.from_email,
        "body": campaign.body, "altbody": campaign.altbody,
        "template_body": campaign.wrapper_source(), "headers": campaign.headers,
        "content_type": campaign.content_type,
    }  # fmt: skip
    fields.update(clean_fields(edits, partial=True))
    if "template" in fields:  # an unsaved template_id: its layout, or none
        chosen = fields.pop("template")
        fields["template_body"] = chosen.body if chosen else campaign.template_body
    known = subscribers_by_email(emails)
    missing = [e for e in emails if e.lower() not in known]
    if missing:
        raise CampaignError("subscribers", f"{missing[0]} is not a subscriber")
    subscribers = list({e.lower(): known[e.lower()] for e in emails}.values())
    renderer = Renderer(
        content_type=fields["content_type"], body=fields["body"],
        subject=fields["subject"], altbody=fields["altbody"],
        template_body=fields["template_body"],
    )  # fmt: skip
    lists = list(MailingList.objects.filter(campaign_lists__campaign=campaign))
    settings = config.get_values("app.root_url", "app.site_name")
    root = settings["app.root_url"]
    custom = _custom_headers(fields["headers"] or [])
    meta = {
        "uuid": str(campaign.uuid),
        "name": campaign.name,
        "subject": fields["subject"],
    }
    mails = []
    for s in subscribers:
        rendered = renderer.render(
            build_context(
                _subscriber_context(Recipient(s.email, s)),
                meta,
                links=MailLinks(
                    unsubscribe=unsubscribe_url(s, lists, root=root),
                    manage=preferences_url(s, root=root),
                ),
                site_name=settings["app.site_name"],
            )
        )
        headers = {
            CAMPAIGN_HEADER: str(campaign.uuid),
            SUBSCRIBER_HEADER: str(s.uuid),
            **list_unsubscribe_headers(s, lists, root=root),
            **custom,
        }
        mails.append(
            {
                "to": s.email,
                "subject": stored_subject(rendered.subject),
                "text": rendered.text or " ",
                "html": rendered.html,
                "headers": headers,
                "from_email": fields["from_email"] or None,
                "kind": "campaign_test",
                "subscriber_id": s.pk,
                "campaign_id": campaign.pk,
            }
        )
    with transaction.atomic():
        for mail in mails:
            queue_mail(**mail)
    return len(mails)
