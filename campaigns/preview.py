"""A campaign rendered for one subscriber or a sample, recording nothing: the
admin preview page and listmonk's GET/POST /api/campaigns/{id}/preview and
POST /api/campaigns/{id}/text.

Unsaved edits (listmonk posts the editor's body and content type, and
template_id) are rendered in place of the saved ones; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaigns.models import Campaign, Template
from campaigns.rendering import Rendered, Renderer, build_context
from campaigns.services import CampaignError
from campaigns.tracking.mail_links import Tracker
from stmails import config
from stmails.lib.input_checks import InvalidInput, parse_id

SAMPLE = {
    "name": "Sample Subscriber",
    "email": "sample@example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "attribs": {},
}
LAYOUT_TYPES = (Template.Type.CAMPAIGN, Template.Type.CAMPAIGN_VISUAL)


def chosen_layout(campaign: Campaign, raw: Any) -> str | None:
    """The layout to wrap the body in: template_id when given (0 or blank:
    the campaign's own, as listmonk), else the campaign's template."""
    if raw not in (None, "", 0, "0"):
        try:
            pk = parse_id(raw, "template_id")
        except InvalidInput as err:
            raise CampaignError("template_id", err.message) from None
        found = Template.objects.filter(pk=pk, type__in=LAYOUT_TYPES).first()
        if found is None:
            raise CampaignError("template_id", f"no campaign template {pk}")
        return found.body
    return campaign.template.body if campaign.template_id else None


def render_preview(
    campaign: Campaign,
    *,
    subscriber: Mapping[str, Any] = SAMPLE,
    edits: Mapping[str, Any] | None = None,
) -> Rendered:
    """Raises TemplateSyntaxError (TemplateError) when a part does not render,
    CampaignError for a bad edit."""
    edits = edits or {}
    content_type = edits.get("content_type") or campaign.content_type
    if content_type not in Campaign.ContentType.values:
        choices = ", ".join(Campaign.ContentType.values)
        raise CampaignError("content_type", f"must be one of {choices}")
    body = edits.get("body", campaign.body)
    if not isinstance(body, str):
        raise CampaignError("body", "must be a string")
    renderer = Renderer(
        content_type=content_type,
        subject=campaign.subject,
        body=body,
        altbody=campaign.altbody,
        template_body=campaign.template_body,
        template=chosen_layout(campaign, edits.get("template_id")),
    )
    # No pixel, links as they are, under the dummy subscriber: nothing recorded.
    links = Tracker(
        root=config.get_value("app.root_url"),
        campaign_uuid=str(campaign.uuid),
        tracking=False,
        test=True,
    ).links_for("", unsubscribe="#unsubscribe", optin="#optin")
    ctx = build_context(
        subscriber,
        {
            "name": campaign.name,
            "uuid": str(campaign.uuid),
            "subject": campaign.subject,
        },
        unsubscribe_url="#unsubscribe",
        links=links,
        site_name=config.get_value("app.site_name"),
    )
    return renderer.render(ctx)
