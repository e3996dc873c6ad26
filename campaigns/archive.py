"""Campaigns shown outside a mailbox: listmonk's public archive and "view in
browser" (/campaign/{campaign_uuid}/{subscriber_uuid}).

The archive renders a campaign with its archive template and archive_meta,
made-up subscriber data the admin typed: never a real subscriber's, and no
tracking. The browser view renders one real subscriber's copy.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet

from campaigns.errors import CampaignError
from campaigns.models import Campaign
from campaigns.rendering import MailLinks, Rendered, Renderer, build_context
from campaigns.template_services import layout_template
from stmails import config
from stmails.lib.input_checks import InvalidInput, check_tree
from subscribers.links import unsubscribe_url
from subscribers.models import MailingList, Subscriber

# Statuses whose mail went (or is going) out: drafts never show publicly.
PUBLIC_STATUSES = (
    Campaign.Status.RUNNING,
    Campaign.Status.PAUSED,
    Campaign.Status.FINISHED,
)
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
META_LIMIT = 65536  # characters of archive_meta JSON
# listmonk's default archive_meta: what a new campaign's form starts with.
DEFAULT_META = {"email": "email@example.com", "name": "Subscriber", "attribs": {}}
DUMMY_UUID = str(uuidlib.UUID(int=0))  # listmonk's dummy subscriber


def clean_archive_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Model fields for the archive keys present in data (all when not partial)."""
    out: dict[str, Any] = {}
    if not partial or "archive" in data:
        raw = data.get("archive")
        if raw in (None, ""):
            raw = False
        if not isinstance(raw, bool):
            raise CampaignError("archive", "must be true or false")
        out["archive"] = raw
    if not partial or "archive_slug" in data:
        out["archive_slug"] = clean_slug(data.get("archive_slug"))
    if not partial or "archive_template_id" in data:
        out["archive_template"] = layout_template(
            data.get("archive_template_id"), "archive_template_id"
        )
    if not partial or "archive_meta" in data:
        out["archive_meta"] = clean_meta(data.get("archive_meta"))
    return out


def clean_slug(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise CampaignError("archive_slug", "must be a string")
    slug = raw.strip()
    if not slug:
        return None
    if not SLUG.match(slug):
        raise CampaignError(
            "archive_slug",
            "use up to 200 letters, digits, - and _ (starting with a letter or digit)",
        )
    if UUID.match(slug):
        raise CampaignError("archive_slug", "must not look like a UUID")
    if slug.lower() == "latest":  # /archive/latest is the newest campaign
        raise CampaignError("archive_slug", '"latest" is reserved')
    return slug


def clean_meta(raw: Any) -> dict[str, Any]:
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        if len(raw) > META_LIMIT:
            raise CampaignError(
                "archive_meta", f"must be at most {META_LIMIT} characters"
            )
        try:
            raw = json.loads(raw)
        except ValueError:
            raise CampaignError("archive_meta", "must be valid JSON") from None
    if not isinstance(raw, dict):
        raise CampaignError("archive_meta", 'must be an object like {"name": "..."}')
    try:  # "\u0000" inside the JSON text: PostgreSQL cannot store it
        check_tree(raw, "archive_meta")
    except InvalidInput as err:
        raise CampaignError("archive_meta", f"{err.field}: {err.message}") from None
    if len(json.dumps(raw)) > META_LIMIT:
        raise CampaignError("archive_meta", f"must be at most {META_LIMIT} characters")
    for key in ("name", "email", "uuid"):
        if key in raw and not isinstance(raw[key], str):
            raise CampaignError("archive_meta", f"{key} must be a string")
    if "attribs" in raw and not isinstance(raw["attribs"], dict):
        raise CampaignError("archive_meta", "attribs must be an object")
    return raw


def check_slug_free(slug: str | None, campaign_id: int | None) -> None:
    if (
        slug
        and Campaign.objects.filter(archive_slug=slug).exclude(pk=campaign_id).exists()
    ):
        raise CampaignError("archive_slug", f"{slug!r} is used by another campaign")


# --- public pages -----------------------------------------------------------------


def archived_campaigns() -> QuerySet[Campaign]:
    """Newest first: by when sending started, else when created."""
    return Campaign.objects.filter(archive=True, status__in=PUBLIC_STATUSES).order_by(
        F("started_at").desc(nulls_last=True), "-created_at", "-id"
    )


def find_archived(key: str) -> Campaign | None:
    """The archived campaign with this slug or UUID."""
    qs = archived_campaigns().select_related("archive_template", "template")
    if UUID.match(key):
        return qs.filter(uuid=uuidlib.UUID(key)).first()
    return qs.filter(archive_slug=key).first() if SLUG.match(key) else None


def archive_url(campaign: Campaign, root: str) -> str:
    return f"{root.rstrip('/')}/archive/{campaign.archive_slug or campaign.uuid}"


def _campaign_meta(campaign: Campaign) -> dict[str, str]:
    return {
        "uuid": str(campaign.uuid),
        "name": campaign.name,
        "subject": campaign.subject,
        "from_email": campaign.from_email,
    }


def render_archived(campaign: Campaign) -> Rendered:
    """The campaign as the archive shows it: archive template (else its own
    layout) and archive_meta; no unsubscribe, preference or tracking links."""
    meta = campaign.archive_meta or {}
    layout = campaign.archive_template if campaign.archive_template_id else None
    subscriber = {
        "name": meta.get("name", ""),
        "email": meta.get("email", ""),
        "uuid": meta.get("uuid") or DUMMY_UUID,
        "attribs": meta.get("attribs") or {},
    }
    return _renderer(campaign, layout.body if layout else None).render(
        build_context(
            subscriber,
            _campaign_meta(campaign),
            links=MailLinks(),
            site_name=config.get_value("app.site_name"),
        )
    )


def render_for_subscriber(campaign: Campaign, subscriber: Subscriber) -> Rendered:
    """One subscriber's copy, with their own unsubscribe (and so preferences)
    link: the "view in browser" page, without tracking or a link to itself."""
    settings = config.get_values("app.root_url", "app.site_name")
    lists = list(MailingList.objects.filter(campaign_lists__campaign=campaign))
    links = MailLinks(
        unsubscribe=unsubscribe_url(subscriber, lists, root=settings["app.root_url"])
    )
    context = build_context(
        {
            "name": subscriber.name,
            "email": subscriber.email,
            "uuid": subscriber.uuid,
            "attribs": subscriber.attribs,
            "status": subscriber.status,
            "created_at": subscriber.created_at,
            "updated_at": subscriber.updated_at,
        },
        _campaign_meta(campaign),
        links=links,
        site_name=settings["app.site_name"],
    )
    return _renderer(campaign, None).render(context)


def render_for_test_recipient(campaign: Campaign) -> Rendered:
    """The copy a test send's "view in browser" link shows: test sends link
    the all-zero dummy subscriber (listmonk's), rendered as a sample."""
    context = build_context(
        {"name": "Test Subscriber", "email": "test@example.com", "uuid": DUMMY_UUID},
        _campaign_meta(campaign),
        links=MailLinks(),
        site_name=config.get_value("app.site_name"),
    )
    return _renderer(campaign, None).render(context)


def _renderer(campaign: Campaign, layout: str | None) -> Renderer:
    """layout: an archive template's body; None: the campaign's own."""
    if layout is None and campaign.template_id:
        layout = campaign.template.body
    return Renderer(
        content_type=campaign.content_type,
        body=campaign.body,
        subject=campaign.subject,
        altbody=campaign.altbody,
        template_body=campaign.template_body,
        template=layout,
    )


@transaction.atomic
def update_archive(campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """listmonk's PUT /api/campaigns/{id}/archive: the archive fields alone,
    in any status (a finished campaign is what one usually publishes)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    fields = clean_archive_fields(data, partial=True)
    if "archive_slug" in fields:
        check_slug_free(fields["archive_slug"], campaign.pk)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=[*fields, "updated_at"])
    return campaign


def render_archive_preview(campaign: Campaign, data: dict[str, Any]) -> Rendered:
    """The archive page of a campaign with unsaved archive fields (template,
    meta) and body, as listmonk's archive preview; nothing is saved."""
    draft = Campaign.objects.get(pk=campaign.pk)
    for name, value in clean_archive_fields(data, partial=True).items():
        setattr(draft, name, value)
    if isinstance(data.get("body"), str):
        draft.body = data["body"]
    return render_archived(draft)
