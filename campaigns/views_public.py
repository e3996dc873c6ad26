"""Public campaign pages (no login): listmonk's archive and "view in browser".

Every lookup answers a 404 page for unknown or malformed ids, never a 5xx;
a template that fails to render answers the same page as an unknown one
(the admin sees the error in the preview, visitors need not).
"""

from __future__ import annotations

import logging
import uuid as uuidlib

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateSyntaxError
from django.utils import feedgenerator
from django.views.decorators.http import require_GET

from campaigns import archive
from campaigns.models import Campaign
from campaigns.rendering import Rendered, TemplateError
from stmails import config
from subscribers.models import Subscriber

log = logging.getLogger(__name__)
PER_PAGE = 20


def _archive_enabled() -> None:
    if not config.get_value("app.enable_public_archive"):
        raise Http404("the archive is not enabled")


def _page(rendered: Rendered) -> HttpResponse:
    if rendered.html:
        response = HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
    else:  # a plain-text campaign
        response = HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response


def _render_or_404(render_it, campaign: Campaign, *args) -> Rendered:
    try:
        return render_it(campaign, *args)
    except (TemplateError, TemplateSyntaxError) as err:
        log.warning("campaign %s does not render: %s", campaign.pk, err)
        raise Http404("this campaign cannot be shown") from None


@login_not_required
@require_GET
def archive_index(request: HttpRequest) -> HttpResponse:
    _archive_enabled()
    page = Paginator(archive.archived_campaigns(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    root = config.get_value("app.root_url")
    rows = [(c, archive.archive_url(c, root)) for c in page]
    return render(request, "campaigns/archive_index.html", {"page": page, "rows": rows})


@login_not_required
@require_GET
def archive_page(request: HttpRequest, key: str) -> HttpResponse:
    _archive_enabled()
    campaign = archive.find_archived(key[:200])
    if campaign is None:
        raise Http404("no archived campaign has this address")
    return _page(_render_or_404(archive.render_archived, campaign))


@login_not_required
@require_GET
def archive_latest(request: HttpRequest) -> HttpResponse:
    """listmonk's /archive/latest: the newest archived campaign."""
    _archive_enabled()
    campaign = archive.archived_campaigns().first()
    if campaign is None:
        raise Http404("the archive is empty")
    return _page(_render_or_404(archive.render_archived, campaign))


@login_not_required
@require_GET
def archive_feed(request: HttpRequest) -> HttpResponse:
    _archive_enabled()
    settings = config.get_values(
        "app.site_name", "app.root_url", "app.enable_public_archive_rss_content"
    )
    root = settings["app.root_url"]
    feed = feedgenerator.Rss201rev2Feed(
        title=settings["app.site_name"],
        link=root,
        description="Campaign archive",
    )
    for campaign in archive.archived_campaigns()[:PER_PAGE]:
        content = ""
        if settings["app.enable_public_archive_rss_content"]:
            try:
                content = archive.render_archived(campaign).html
            except (TemplateError, TemplateSyntaxError):
                content = ""
        feed.add_item(
            title=campaign.subject,
            link=archive.archive_url(campaign, root),
            description=content,
            pubdate=campaign.started_at or campaign.created_at,
            unique_id=str(campaign.uuid),
        )
    response = HttpResponse(content_type="application/rss+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


def _uuid(raw: str) -> uuidlib.UUID:
    try:
        return uuidlib.UUID(raw[:64])
    except ValueError:
        raise Http404("not found") from None


@login_not_required
@require_GET
def campaign_message(
    request: HttpRequest, campaign_uuid: str, subscriber_uuid: str
) -> HttpResponse:
    """listmonk's "view in browser" page: the campaign as this subscriber got it."""
    campaign = Campaign.objects.filter(uuid=_uuid(campaign_uuid)).first()
    subscriber_id = _uuid(subscriber_uuid)
    if campaign is not None and subscriber_id.int == 0:  # a test send's link
        return _page(_render_or_404(archive.render_for_test_recipient, campaign))
    subscriber = Subscriber.objects.filter(uuid=subscriber_id).first()
    if campaign is None or subscriber is None:
        raise Http404("this message does not exist")
    response = _page(
        _render_or_404(archive.render_for_subscriber, campaign, subscriber)
    )
    response["Cache-Control"] = "private, no-store"  # one subscriber's copy
    return response
