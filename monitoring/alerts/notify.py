"""How alerts reach people: mail to the admins, event webhooks, an optional JSON POST.

All are written in the caller's transaction, next to the incident row, so an
incident notifies exactly once: the mails as outbox rows (stmails.outbox, sent
and retried by the outgoing queue), the `alert.opened` / `alert.recovered`
events as EventDelivery rows for every event-webhook endpoint that wants them
(stmails.event_hooks: Standard Webhooks signatures, its own retries), and the
older POST to `alerts.webhook_url` as an AlertPost row. POSTs go out after
commit (`send_due_posts`, also run by the beat task every minute) and are
retried with backoff until the receiver answers 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from monitoring.alerts.rules import rule_title
from monitoring.models import AlertIncident, AlertPost
from stmails import config
from stmails.event_hooks import services as event_hooks
from stmails.lib import http
from stmails.lib.datetime_display import show_datetime
from stmails.outbox import queue_mail

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Stmails-Signature"
# Waits after the 1st, 2nd, ... failed POST; after the last one it fails for good.
POST_BACKOFF = (60, 300, 900, 3600, 7200, 14400)
MAX_POST_ATTEMPTS = len(POST_BACKOFF) + 1
POST_TIMEOUT = 10.0
# An attempt pushes next_try_at this far ahead (its claim). Longer than any POST
# can take, so a worker killed mid-POST only delays the retry.
CLAIM_TIMEOUT = timedelta(minutes=5)
POST_BATCH = 100

Event = AlertPost.Event
PostStatus = AlertPost.Status


def recipients(settings: dict[str, Any]) -> list[str]:
    """alerts.emails, or else every active admin's address."""
    if settings["alerts.emails"]:
        return list(settings["alerts.emails"])
    emails = (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return list(dict.fromkeys(emails))


def _site() -> tuple[str, str]:
    values = config.get_values("app.site_name", "app.root_url")
    return values["app.site_name"], values["app.root_url"] + reverse("alerts:index")


def _when(at: datetime | None) -> str:
    return show_datetime(at) if at else "-"


def _mail_text(incident: AlertIncident, event: str, page_url: str) -> str:
    lines = [
        incident.summary,
        "",
        f"Rule: {rule_title(incident.rule)}",
        f"Opened: {_when(incident.opened_at)}",
    ]
    if event == Event.RECOVERED:
        lines.append(f"Resolved: {_when(incident.closed_at)}")
    if incident.details:
        lines += ["", "Details:"]
        lines += [f"  {name}: {value}" for name, value in incident.details.items()]
    lines += ["", f"All incidents: {page_url}", ""]
    return "\n".join(lines)


def event_data(incident: AlertIncident, site: tuple[str, str]) -> dict:
    """The data of an alert event: the same for the event webhook and the POST."""
    site_name, page_url = site
    return {
        "site": site_name,
        "url": page_url,
        "incident": {
            "id": incident.pk,
            "rule": incident.rule,
            "rule_title": rule_title(incident.rule),
            "key": incident.key,
            "summary": incident.summary,
            "details": incident.details,
            "status": "open" if incident.is_open else "resolved",
            "opened_at": incident.opened_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        },
    }


def build_payload(
    incident: AlertIncident, event: str, post_id: int, site: tuple[str, str]
) -> dict:
    return {"id": post_id, "event": f"alert.{event}", **event_data(incident, site)}


# Ties an alert mail to its incident, so the Alerts page shows the mail's fate.
ALERT_HEADER = "X-Stmails-Alert"


def notify(incident: AlertIncident, event: str, settings: dict[str, Any]) -> None:
    """Queue the mails and the POST of an opening or a recovery.

    Call in the transaction that opened or closed the incident.
    """
    site = _site()
    site_name, page_url = site
    label = "Alert" if event == Event.OPENED else "Resolved"
    to = recipients(settings)
    for address in to:
        queue_mail(
            to=address,
            subject=f"[{site_name}] {label}: {incident.summary}"[:900],
            text=_mail_text(incident, event, page_url),
            headers={ALERT_HEADER: f"{incident.pk} {event}"},
            kind="alert",
        )
    if not to:
        log.warning("alert %s %s: no recipients (no admin email)", incident.key, event)
    now = timezone.now()
    if event == Event.OPENED:
        incident.notified_at, incident.notified_to = now, to
        incident.save(update_fields=["notified_at", "notified_to"])
    else:
        incident.recovery_notified_at = now
        incident.save(update_fields=["recovery_notified_at"])
    event_hooks.emit(f"alert.{event}", [event_data(incident, site)], now=now)
    if settings["alerts.webhook_url"]:
        post = AlertPost.objects.create(incident=incident, event=event, next_try_at=now)
        post.payload = build_payload(incident, event, post.pk, site)
        post.save(update_fields=["payload"])


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _body(post: AlertPost) -> bytes:
    return json.dumps(post.payload, ensure_ascii=False, separators=(",", ":")).encode()


def deliver_post(post_id: int, *, now: datetime | None = None) -> str:
    """One attempt at one due POST; returns its new status ("skipped" when it is
    not due or another worker claimed it)."""
    now = now or timezone.now()
    claimed = AlertPost.objects.filter(
        pk=post_id, status=PostStatus.PENDING, next_try_at__lte=now
    ).update(next_try_at=now + CLAIM_TIMEOUT, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    post = AlertPost.objects.get(pk=post_id)
    mine = AlertPost.objects.filter(pk=post.pk, attempts=post.attempts)
    values = config.get_values("alerts.webhook_url", "alerts.webhook_secret")
    url, secret = values["alerts.webhook_url"], values["alerts.webhook_secret"]
    if not url:
        mine.update(
            status=PostStatus.FAILED,
            next_try_at=None,
            last_error="no webhook URL set (Settings → Alerts)",
        )
        return PostStatus.FAILED
    body = _body(post)
    headers = {
        "Content-Type": "application/json",
        "X-Stmails-Event": post.payload.get("event", ""),
        "X-Stmails-Delivery": str(post.pk),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    try:
        answer = http.post(url, body, headers=headers, timeout=POST_TIMEOUT)
    except http.HttpError as e:
        return _record_failure(post, mine, e, now)
    mine.update(
        status=PostStatus.SENT,
        sent_at=timezone.now(),
        next_try_at=None,
        response_status=answer.status,
        last_error="",
    )
    return PostStatus.SENT


def _record_failure(
    post: AlertPost, mine: QuerySet[AlertPost], error: http.HttpError, now: datetime
) -> str:
    if post.attempts >= MAX_POST_ATTEMPTS:
        status, next_try_at = PostStatus.FAILED, None
    else:
        status = PostStatus.PENDING
        next_try_at = now + timedelta(seconds=POST_BACKOFF[post.attempts - 1])
    mine.update(
        status=status,
        next_try_at=next_try_at,
        response_status=error.status,
        last_error=error.message,
    )
    log.warning(
        "alert POST %s, attempt %s: %s -> %s",
        post.pk, post.attempts, error.message, status,
    )  # fmt: skip
    return status


@dataclass
class PostResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due_posts(now: datetime | None = None) -> PostResult:
    """Attempt every due POST (new ones and retries). Idempotent.

    Stops at the first POST that will be retried: the receiver is probably down,
    and the others should not each wait for a timeout; they stay due.
    """
    now = now or timezone.now()
    result = PostResult()
    due = AlertPost.objects.filter(status=PostStatus.PENDING, next_try_at__lte=now)
    ids = list(due.order_by("next_try_at").values_list("pk", flat=True)[:POST_BATCH])
    for post_id in ids:
        status = deliver_post(post_id, now=now)
        if status == PostStatus.SENT:
            result.sent += 1
        elif status == PostStatus.FAILED:
            result.failed += 1
        elif status == PostStatus.PENDING:
            result.retrying += 1
            break
    return result
