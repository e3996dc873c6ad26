"""The public tracking endpoints (listmonk's URL shapes, no login).

Each does the least it can: write one raw hit (one INSERT, no lookup of the
campaign or subscriber) and answer; fold_hits counts later. The redirect only
goes to URLs registered in `links` (no open redirect); a link's URL never
changes, so each process keeps the ones it has looked up. The two privacy
settings are read at most every SETTINGS_TTL seconds per process: a change
takes effect within that time, and a click costs one query, not two.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_safe

from campaigns.tracking.bots import mask_ip
from campaigns.tracking.models import Link, TrackingHit
from stmails import config
from stmails.auth import client_address

log = logging.getLogger(__name__)
# Test sends and previews put this subscriber uuid in their URLs (listmonk's
# dummy subscriber): such hits are never recorded.
DUMMY = uuid.UUID(int=0)
# A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
_FIELDS = [
    TrackingHit._meta.get_field(name)
    for name in ("kind", "link_id", "campaign_uuid", "subscriber_uuid",
                 "individual", "ip_net", "user_agent", "created_at")
]  # fmt: skip
_INSERT = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (model names only)
    TrackingHit._meta.db_table,
    ", ".join(f.column for f in _FIELDS),
    ", ".join(["%s"] * len(_FIELDS)),
)
_URLS: dict[uuid.UUID, tuple[int, str]] = {}
_URLS_MAX = 10_000
SETTINGS_TTL = 5.0
_SETTINGS: dict = {"at": float("-inf"), "values": {}}


def forget_settings() -> None:
    """The next hit reads the settings again (tests change them)."""
    _SETTINGS["at"] = float("-inf")


def _privacy() -> dict:
    now = time.monotonic()
    if now - _SETTINGS["at"] > SETTINGS_TTL:
        _SETTINGS["values"] = config.get_values(
            "privacy.disable_tracking", "privacy.individual_tracking"
        )
        _SETTINGS["at"] = now
    return _SETTINGS["values"]


def _link(link_uuid: uuid.UUID) -> tuple[int, str]:
    found = _URLS.get(link_uuid)
    if found is None:
        row = Link.objects.filter(uuid=link_uuid).values_list("id", "url").first()
        if row is None:
            raise Http404("no such link")
        if len(_URLS) >= _URLS_MAX:
            _URLS.clear()
        found = _URLS[link_uuid] = row
    return found


def _record(
    request: HttpRequest,
    kind: str,
    campaign_uuid: uuid.UUID,
    subscriber_uuid: uuid.UUID,
    link_id: int | None = None,
) -> None:
    if subscriber_uuid == DUMMY:
        return
    values = _privacy()
    if values["privacy.disable_tracking"]:
        return
    row = {
        "kind": kind,
        "link_id": link_id,
        "campaign_uuid": campaign_uuid,
        "subscriber_uuid": subscriber_uuid,
        "individual": values["privacy.individual_tracking"],
        "ip_net": mask_ip(client_address(request)),
        # PostgreSQL text cannot hold NUL; nothing else in a header can hurt.
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300].replace("\x00", ""),
        "created_at": timezone.now(),
    }
    # Raw SQL: compiling the ORM's INSERT cost more than running it (the bench
    # measures this endpoint against a bare INSERT). The fields still convert
    # the values, as the ORM would for this database.
    params = [f.get_db_prep_save(row[f.name], connection) for f in _FIELDS]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, params)
    except DatabaseError as e:
        # The reader still gets the page or the pixel: a lost hit costs less
        # than a broken link.
        log.warning("tracking hit not stored: %s", e)


@login_not_required
@require_safe
def link_redirect(
    request: HttpRequest,
    link_uuid: uuid.UUID,
    campaign_uuid: uuid.UUID,
    subscriber_uuid: uuid.UUID,
) -> HttpResponse:
    link_id, url = _link(link_uuid)
    # HEAD is what scanners send to check a link: it redirects, records nothing.
    if request.method == "GET":
        _record(request, "click", campaign_uuid, subscriber_uuid, link_id)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@require_safe
def view_pixel(
    request: HttpRequest, campaign_uuid: uuid.UUID, subscriber_uuid: uuid.UUID
) -> HttpResponse:
    if request.method == "GET":
        _record(request, "view", campaign_uuid, subscriber_uuid)
    response = HttpResponse(PIXEL, content_type="image/png")
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, max-age=0"
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response
