"""listmonk's POST /api/tx: transactional mail from a tx template.

A request names a tx template (template_id, required), its recipients
(campaigns.tx_recipients: listmonk's four forms and three subscriber modes)
and optionally data ({{ .Tx.Data.x }} / {{ tx_data.x }}), a subject that
overrides the template's, altbody, headers, from_email, content_type,
messenger ("email", the only one) and attachments (campaigns.tx_attachments).

Tx mail goes through the system lane (stmails.outbox.queue_mail, kind "tx"),
never behind a campaign. Every mail to a known subscriber carries
subscriber_id and X-Stmails-Subscriber: a bounce of it (SMTP rejection, or a
mailbox/provider bounce matched by Message-ID, header or recipient) counts
against the subscriber like a campaign bounce (listmonk's #2193 does not).
The outbox row keeps template_id: the Transactional log lists each mail.

Everything is checked and rendered before the first mail is queued, and the
mails are queued in one transaction: one bad recipient means nothing is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from campaigns.models import Template
from campaigns.rendering import (
    MailLinks,
    Renderer,
    TemplateError,
    build_context,
    check_template,
)
from campaigns.sending.message import PROTECTED, SUBSCRIBER_HEADER
from campaigns.services import CampaignError, clean_from_email, clean_headers
from campaigns.tracking.mail_links import optin_url, pending_optin
from campaigns.tx_attachments import Attachment
from campaigns.tx_recipients import Recipient, subscriber_context, tx_recipients
from stmails import config
from stmails.lib.input_checks import InvalidInput, parse_id
from stmails.models import MailAttachment, OutgoingMail
from stmails.outbox import queue_mail
from subscribers.links import unsubscribe_url

TX_CONTENT_TYPES = ("html", "markdown", "plain")
# What a template can raise while compiling or rendering: a 400, never a 500
# ({% include "missing.html" %} only fails at render time).
RENDER_ERRORS = (TemplateError, TemplateSyntaxError, TemplateDoesNotExist)
MESSENGERS = ("email",)


def custom_headers(items: list[dict[str, str]]) -> dict[str, str]:
    # The same rule as campaign mail: custom headers cannot replace the ones
    # bounce matching relies on.
    return {
        name: value
        for item in items
        for name, value in item.items()
        if name.lower() not in PROTECTED
    }


def stored_subject(subject: str) -> str:
    """The rendered subject, refused when longer than a mail header line may be
    (RFC 5322's 998 characters, the outbox column's size)."""
    limit = OutgoingMail._meta.get_field("subject").max_length
    if len(subject) > limit:
        raise CampaignError("subject", f"must be at most {limit} characters")
    return subject


def tx_template(raw: Any) -> Template:
    """The tx template of template_id: 404 when there is none, 400 when it is
    another type (a campaign layout is not a whole mail)."""
    if raw in (None, "", 0):
        raise CampaignError("template_id", "is required (a tx template's id)")
    try:
        pk = parse_id(raw, "template_id")
    except InvalidInput as err:
        raise CampaignError("template_id", err.message) from None
    template = Template.objects.filter(pk=pk).first()
    if template is None:
        raise CampaignError("template_id", f"template {pk} not found", status=404)
    if template.type != Template.Type.TX:
        raise CampaignError(
            "template_id",
            f"template {pk} is a {template.type} template; "
            f"transactional mail needs a tx template",
        )
    return template


def _text(data: dict[str, Any], field: str) -> str:
    raw = data.get(field)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise CampaignError(field, "must be a string")
    return raw


def _choice(data: dict[str, Any], field: str, choices: Sequence[str]) -> str:
    raw = data.get(field) or choices[0]
    if raw not in choices:
        raise CampaignError(field, f"{raw!r} is not one of {', '.join(choices)}")
    return raw


def _tx_data(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("data")
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise CampaignError("data", "must be an object")
    return raw


def _renderer(
    template: Template, *, subject: str, altbody: str, content_type: str
) -> Renderer:
    """Each part checked on its own first, so the error names the part at
    fault (str(TemplateError) says the line and the expression)."""
    tpl = f"template {template.pk}"
    parts = (
        (template.body, "tx", "template_id", f"{tpl} body: "),
        (subject, "subject", *(
            ("subject", "") if subject != template.subject
            else ("template_id", f"{tpl} subject: ")
        )),
        (altbody, "altbody", "altbody", ""),
    )  # fmt: skip
    for source, kind, field, where in parts:
        try:
            check_template(source, kind=kind)
        except TemplateError as err:
            raise CampaignError(field, f"{where}{err}") from None
    try:
        return Renderer(
            content_type=content_type,
            body=template.body,
            subject=subject,
            altbody=altbody,
        )
    except RENDER_ERRORS as err:
        raise _render_error(template, err) from None


def _render_error(template: Template, err: Exception) -> CampaignError:
    said = f"no template {err}" if isinstance(err, TemplateDoesNotExist) else err
    return CampaignError("template_id", f"template {template.pk}: {said}")


def _links(recipient: Recipient, root: str, pending: set[int]) -> MailLinks:
    # Transactional mail is never tracked (no campaign to count it on).
    if recipient.subscriber is None:
        return MailLinks()
    return MailLinks(
        unsubscribe=unsubscribe_url(recipient.subscriber, root=root),
        optin=optin_url(recipient.subscriber, pending, root),
    )


def send_tx(data: dict[str, Any], attachments: Sequence[Attachment] = ()) -> int:
    """Queue one transactional mail per recipient; returns how many."""
    template = tx_template(data.get("template_id"))
    _choice(data, "messenger", MESSENGERS)
    content_type = _choice(data, "content_type", TX_CONTENT_TYPES)
    subject = _text(data, "subject").strip() or template.subject
    altbody = _text(data, "altbody")
    tx_data = _tx_data(data)
    from_email = clean_from_email(data.get("from_email")) or None
    headers = custom_headers(clean_headers(data.get("headers")))
    recipients = tx_recipients(data)
    renderer = _renderer(
        template, subject=subject, altbody=altbody, content_type=content_type
    )
    root = config.get_value("app.root_url")
    pending = pending_optin(r.subscriber.pk for r in recipients if r.subscriber)
    mails = []
    for r in recipients:
        context = build_context(
            subscriber_context(r), links=_links(r, root, pending), tx_data=tx_data
        )
        try:
            rendered = renderer.render(context)
        except RENDER_ERRORS as err:
            raise _render_error(template, err) from None
        mail_headers = dict(headers)
        if r.subscriber is not None:
            mail_headers[SUBSCRIBER_HEADER] = str(r.subscriber.uuid)
        mails.append(
            {
                "to": r.email,
                "subject": stored_subject(rendered.subject),
                "text": rendered.text or " ",
                "html": rendered.html,
                "headers": mail_headers,
                "from_email": from_email,
                "kind": "tx",
                "subscriber_id": r.subscriber.pk if r.subscriber else None,
                "template_id": template.pk,
            }
        )
    with transaction.atomic():
        files = [
            MailAttachment.objects.create(
                filename=a.filename,
                content_type=a.content_type,
                data=a.data,
                size=len(a.data),
            )
            for a in attachments
        ]
        for mail in mails:
            queue_mail(**mail, attachments=files)
    return len(mails)
