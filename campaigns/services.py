"""Campaign writes shared by the API and the admin UI: create, update, delete, status.

Every input rule lives here, so the API (400 {"message": "field: ..."}) and the
forms (error beside the field) report the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns import optin
from campaigns.archive import check_slug_free, clean_archive_fields
from campaigns.errors import CampaignError
from campaigns.html_sanitizer import sanitize_html
from campaigns.listmonk_fields import (
    clean_attribs,
    clean_body_source,
    clean_media,
    clean_messenger,
    clean_type,
)
from campaigns.models import Campaign, CampaignList
from campaigns.rendering import check_template
from campaigns.template_services import default_template, layout_template
from stmails import config
from stmails.lib.input_checks import bad_character
from subscribers.models import MailingList

S = Campaign.Status
# Which statuses an admin (or the API) may move a campaign to, from each status.
# "finished" is only ever set by the sending engine.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SCHEDULED, S.RUNNING, S.CANCELLED},
    S.SCHEDULED: {S.RUNNING, S.PAUSED, S.CANCELLED},
    S.RUNNING: {S.PAUSED, S.CANCELLED},
    S.PAUSED: {S.RUNNING, S.CANCELLED},
    S.CANCELLED: set(),
    S.FINISHED: set(),
}
EDITABLE = {S.DRAFT, S.SCHEDULED, S.PAUSED}
HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable, no colon


# --- field rules ------------------------------------------------------------------


def _text(data: dict[str, Any], field: str, *, required: bool, limit: int) -> str:
    raw = data.get(field)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise CampaignError(field, "must be a string")
    value = raw.strip()
    if required and not value:
        raise CampaignError(field, "is required")
    if len(value) > limit:
        raise CampaignError(field, f"must be at most {limit} characters")
    return value


def clean_from_email(raw: Any) -> str:
    if raw in (None, ""):
        return ""
    if not isinstance(raw, str) or "\r" in raw or "\n" in raw:
        raise CampaignError("from_email", "must be an address on one line")
    _, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        raise CampaignError("from_email", 'must look like "Name <you@example.com>"')
    return raw.strip()


def clean_headers(raw: Any) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise CampaignError("headers", 'must be a list like [{"X-Tag": "value"}]')
    headers = []
    for item in raw:
        if not isinstance(item, dict) or len(item) != 1:
            raise CampaignError("headers", "each header must be one {name: value}")
        (name, value), *_ = item.items()
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            raise CampaignError("headers", f"invalid header name {name!r}")
        if not isinstance(value, str) or "\r" in value or "\n" in value:
            raise CampaignError("headers", f"{name}: value must be one line of text")
        headers.append({name: value})
    return headers


def clean_tags(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise CampaignError("tags", "must be a list of strings")
    return [t.strip() for t in raw if t.strip()]


def clean_send_at(raw: Any) -> datetime | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = parse_datetime(raw.strip())
        except ValueError:
            value = None
        if value is None:
            raise CampaignError("send_at", "must be a date-time like 2030-01-31T09:00Z")
    else:
        raise CampaignError("send_at", "must be a date-time string")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def clean_lists(raw: Any) -> list[MailingList]:
    if raw in (None, ""):
        return []
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        raise CampaignError("lists", "must be a list of list ids")
    ids: list[int] = []
    for value in raw:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise CampaignError("lists", f"{value!r} is not a list id") from None
    found = {lst.id: lst for lst in MailingList.objects.filter(id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise CampaignError("lists", f"unknown list id {missing[0]}")
    return [found[i] for i in dict.fromkeys(ids)]


def _check_template(source: str, field: str) -> None:
    # Either language (listmonk's Go syntax or Django's); errors name the line.
    kinds = {"subject": "subject", "altbody": "altbody"}
    try:
        check_template(source, kind=kinds.get(field, "body"))
    except TemplateSyntaxError as err:
        raise CampaignError(field, f"template error: {err}") from None


def clean_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated model fields (plus "lists") for the keys present in data."""
    out: dict[str, Any] = {}
    rules = {
        "name": lambda: _text(data, "name", required=True, limit=500),
        "subject": lambda: _text(data, "subject", required=True, limit=1000),
        "from_email": lambda: clean_from_email(data.get("from_email")),
        "body": lambda: data.get("body") or "",
        "altbody": lambda: data.get("altbody") or "",
        "template_body": lambda: data.get("template_body") or "",
        "headers": lambda: clean_headers(data.get("headers")),
        "tags": lambda: clean_tags(data.get("tags")),
        "send_at": lambda: clean_send_at(data.get("send_at")),
        "lists": lambda: clean_lists(data.get("lists")),
        "type": lambda: clean_type(data.get("type")),
        "messenger": lambda: clean_messenger(data.get("messenger")),
        "attribs": lambda: clean_attribs(data.get("attribs")),
        "body_source": lambda: clean_body_source(data.get("body_source")),
        "media": lambda: clean_media(data.get("media")),
    }
    for field, rule in rules.items():
        if partial and field not in data:
            continue
        out[field] = rule()
    for field in ("body", "altbody", "template_body"):
        if field in out:
            if not isinstance(out[field], str):
                raise CampaignError(field, "must be a string")
            _check_template(out[field], field)
    if "subject" in out:
        _check_template(out["subject"], "subject")
    if not partial or "content_type" in data:
        ctype = data.get("content_type") or Campaign.ContentType.RICHTEXT
        if ctype not in Campaign.ContentType.values:
            choices = ", ".join(Campaign.ContentType.values)
            raise CampaignError("content_type", f"must be one of {choices}")
        out["content_type"] = ctype
    out.pop("media", None)
    if "template_id" in data:
        out["template"] = layout_template(data["template_id"], "template_id")
    if (
        not partial
        and data.get("template_id", 0) in (0, "0", "")
        and not out["template_body"].strip()
    ):
        # listmonk's rule: a new campaign without template_id (or with 0) gets
        # the default layout; an explicit null means none, and an older-style
        # wrapper (template_body) takes the layout's place.
        out["template"] = default_template()
    out.update(clean_archive_fields(data, partial=partial))
    return out


def _set_lists(campaign: Campaign, lists: Iterable[MailingList]) -> None:
    CampaignList.objects.filter(campaign=campaign).delete()
    CampaignList.objects.bulk_create(
        CampaignList(campaign=campaign, list=lst, list_name=lst.name) for lst in lists
    )


# --- writes -----------------------------------------------------------------------


def _clean_richtext(fields: dict[str, Any], content_type: str, body: str) -> None:
    """Rich text comes from an editor's innerHTML, from the UI or the API: every
    write keeps only allow-listed markup."""
    if content_type == Campaign.ContentType.RICHTEXT:
        fields["body"] = sanitize_html(fields.get("body", body))


def _optin_lists(lists: list[MailingList]) -> list[MailingList]:
    chosen = optin.double_optin(lists)
    if not chosen:
        raise CampaignError(
            "lists", "an opt-in campaign needs at least one double opt-in list"
        )
    return chosen


@transaction.atomic
def create_campaign(data: dict[str, Any]) -> Campaign:
    """Every field is validated before the one INSERT (a refused request writes
    nothing); from_email defaults to app.from_email, and an opt-in campaign
    without a body gets listmonk's default opt-in message."""
    fields = clean_fields(data, partial=False)
    if not fields["from_email"]:
        fields["from_email"] = config.get_value("app.from_email") or ""
    if fields["type"] == Campaign.Type.OPTIN:
        double = _optin_lists(fields["lists"])
        if not fields["body"].strip():
            fields["body"] = optin.default_body(double)
            _check_template(fields["body"], "body")
    _clean_richtext(fields, fields["content_type"], "")
    lists = fields.pop("lists")
    check_slug_free(fields["archive_slug"], None)
    campaign = Campaign.objects.create(**fields)
    _set_lists(campaign, lists)
    return campaign


@transaction.atomic
def clone_campaign(campaign: Campaign, name: Any = "") -> Campaign:
    """A draft with the campaign's content, lists, layout, headers and tags
    (the archive slug stays with the original: it is unique)."""
    if name is not None and not isinstance(name, str):
        raise CampaignError("name", "must be a string")
    name = (name or "").strip() or f"Copy of {campaign.name}"
    if len(name) > 500:
        raise CampaignError("name", "must be at most 500 characters")
    if problem := bad_character(name):
        raise CampaignError("name", problem)
    copy = Campaign.objects.create(
        name=name, subject=campaign.subject, from_email=campaign.from_email,
        content_type=campaign.content_type, body=campaign.body,
        altbody=campaign.altbody, template=campaign.template,
        template_body=campaign.template_body, headers=campaign.headers,
        tags=campaign.tags, archive=campaign.archive,
        archive_template=campaign.archive_template,
        archive_meta=campaign.archive_meta,
    )  # fmt: skip
    _set_lists(copy, MailingList.objects.filter(campaign_lists__campaign=campaign))
    return copy


@transaction.atomic
def update_campaign(campaign: Campaign, data: dict[str, Any]) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise CampaignError("status", f"a {campaign.status} campaign cannot be edited")
    fields = clean_fields(data, partial=True)
    _clean_richtext(
        fields, fields.get("content_type", campaign.content_type), campaign.body
    )
    lists = fields.pop("lists", None)
    if fields.get("type", campaign.type) == Campaign.Type.OPTIN:
        current = MailingList.objects.filter(campaign_lists__campaign=campaign)
        _optin_lists(lists if lists is not None else list(current))
    if "archive_slug" in fields:
        check_slug_free(fields["archive_slug"], campaign.pk)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save()
    if lists is not None:
        _set_lists(campaign, lists)
    return campaign


@transaction.atomic
def delete_campaign(campaign: Campaign) -> None:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == S.RUNNING:
        raise CampaignError("status", "pause or cancel a running campaign first")
    campaign.delete()


@transaction.atomic
def delete_campaigns(ids: Iterable[int]) -> int:
    """listmonk's bulk delete, all or nothing: a running campaign among them
    refuses the whole request (as deleting it alone would)."""
    campaigns = list(
        Campaign.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")
    )
    running = [c.pk for c in campaigns if c.status == S.RUNNING]
    if running:
        raise CampaignError(
            "id", f"campaign {running[0]} is running: pause or cancel it first"
        )
    Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).delete()
    return len(campaigns)


def _ready_to_send(campaign: Campaign) -> None:
    if not campaign.campaign_lists.filter(list__isnull=False).exists():
        raise CampaignError("lists", "choose at least one list before sending")
    if not campaign.body.strip():
        raise CampaignError("body", "the campaign has no content")
    if not campaign.subject.strip():
        raise CampaignError("subject", "is required")


def _start_sending(campaign_id: int) -> None:
    # Imported here: the engine pulls in Celery and SMTP machinery that the
    # API and UI do not otherwise need.
    from campaigns.sending.engine import start_campaign

    start_campaign(campaign_id)


@transaction.atomic
def change_status(campaign: Campaign, status: Any, *, reason: str = "") -> Campaign:
    """Move a campaign to scheduled|running|paused|cancelled, if allowed.

    Starting (or resuming) hands the campaign to the sending engine once the
    status change is committed, so the workers see it as running.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status not in (S.SCHEDULED, S.RUNNING, S.PAUSED, S.CANCELLED):
        raise CampaignError("status", "must be scheduled, running, paused or cancelled")
    if status not in TRANSITIONS[campaign.status]:
        raise CampaignError(
            "status", f"a {campaign.status} campaign cannot become {status}"
        )
    if status in (S.SCHEDULED, S.RUNNING):
        _ready_to_send(campaign)
    if status == S.SCHEDULED:
        if campaign.send_at is None:
            raise CampaignError("send_at", "set a date to schedule the campaign")
        if campaign.send_at <= timezone.now():
            raise CampaignError("send_at", "must be in the future to schedule")
    campaign.status = status
    if status == S.PAUSED:
        campaign.paused_reason = reason or "paused by an admin"
    elif status == S.RUNNING:
        campaign.paused_reason = ""
        campaign.started_at = campaign.started_at or timezone.now()
    elif status == S.CANCELLED:
        campaign.finished_at = timezone.now()
    campaign.save()
    if status == S.RUNNING:
        transaction.on_commit(lambda: _start_sending(campaign.pk))
    return campaign
