"""The Transactional log: every tx mail of the outbox (kind "tx") with when,
to, template, subject, status and error. Read by the admin page
(campaigns.views_tx) and GET /api/tx/messages (a stmails extra)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from campaigns.models import Template
from stmails.lib.input_checks import InvalidInput, parse_id
from stmails.models import OutgoingMail

FIELDS = (
    "id", "created_at", "sent_at", "to_email", "subject", "status", "last_error",
    "template_id", "subscriber_id", "attempts",
)  # fmt: skip


def find_messages(*, status: str = "", template_id: str = "") -> QuerySet[OutgoingMail]:
    """Tx mails, newest first; status and template_id narrow them (an unknown
    status or a malformed id raises InvalidInput naming the field)."""
    qs = OutgoingMail.objects.filter(kind="tx").only(*FIELDS).order_by("-id")
    if status:
        if status not in OutgoingMail.Status.values:
            raise InvalidInput(
                "status", f"must be one of {', '.join(OutgoingMail.Status.values)}"
            )
        qs = qs.filter(status=status)
    if template_id:
        qs = qs.filter(template_id=parse_id(template_id, "template_id"))
    return qs


def template_names(mails: Iterable[OutgoingMail]) -> dict[int, str]:
    ids = {m.template_id for m in mails if m.template_id}
    return dict(Template.objects.filter(pk__in=ids).values_list("id", "name"))


def template_label(mail: OutgoingMail, names: dict[int, str]) -> str:
    if mail.template_id is None:
        return ""
    return names.get(mail.template_id) or f"#{mail.template_id} (deleted)"


def message_json(mail: OutgoingMail, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": mail.id,
        "created_at": mail.created_at,
        "sent_at": mail.sent_at,
        "to": mail.to_email,
        "subscriber_id": mail.subscriber_id,
        "template_id": mail.template_id,
        "template_name": template_label(mail, names),
        "subject": mail.subject,
        "status": mail.status,
        "attempts": mail.attempts,
        "error": mail.last_error,
    }
