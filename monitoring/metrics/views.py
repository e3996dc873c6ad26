"""GET /metrics: the figures in the Prometheus text format (exposition.py).

It reads the tables of every app, which only monitoring may
(docs/development/layers.md). Each metric is one aggregate query (GROUP BY or
COUNT), so a scrape costs a handful of index/sequential counts whatever the
history size.

Access: the client address (stmails.auth.client_address: REMOTE_ADDR, or behind
a proxy in STMAILS_TRUSTED_PROXIES the address it forwarded for) in `metrics.allowed_ips`, or `Authorization: Bearer <token>`
matching `metrics.token` (compared in constant time; empty token = off).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections import defaultdict

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from bounces.models import Bounce, MailboxScan, UnmatchedBounce
from campaigns.models import Delivery
from monitoring.metrics.exposition import CONTENT_TYPE, Metric, render
from stmails import config
from stmails.models import OutgoingMail
from subscribers.models import Subscriber
from webhooks.models import WebhookEvent
from webhooks.providers.base import IGNORED


def _grouped(queryset, fields: tuple[str, ...], labels: tuple[str, ...]) -> list:
    """COUNT(*) GROUP BY fields, as sorted samples (stable output for diffs)."""
    totals: dict[tuple, int] = defaultdict(int)
    for row in queryset.values(*fields).annotate(n=Count("id")).order_by():
        key = tuple(
            (label, str(row[f] or "")) for label, f in zip(labels, fields, strict=True)
        )
        totals[key] += row["n"]
    return sorted(totals.items())


def _scans_by_mailbox() -> list:
    # A mailbox without a name is labelled by its uuid; two rows that end up
    # with the same label are summed so no series is repeated.
    totals: dict[tuple, int] = defaultdict(int)
    rows = (
        MailboxScan.objects.values("mailbox_name", "mailbox_uuid", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        mailbox = row["mailbox_name"] or str(row["mailbox_uuid"])
        totals[(("mailbox", mailbox), ("status", row["status"]))] += row["n"]
    return sorted(totals.items())


def collect() -> list[Metric]:
    """The current figures, one aggregate query per metric."""
    sent = (
        OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count()
        + Delivery.objects.filter(status=Delivery.Status.SENT).count()
    )
    return [
        Metric(
            "stmails_bounces_total",
            "counter",
            "Bounces recorded, by type and source.",
            _grouped(Bounce.objects, ("type", "source"), ("type", "source")),
        ),
        Metric(
            "stmails_webhook_events_total",
            "counter",
            "Provider webhook events received, by provider and processing status.",
            _grouped(
                WebhookEvent.objects, ("provider", "status"), ("provider", "status")
            ),
        ),
        Metric(
            "stmails_mailbox_scans_total",
            "counter",
            "Bounce mailbox scans, by mailbox and outcome.",
            _scans_by_mailbox(),
        ),
        Metric(
            "stmails_outgoing_mail",
            "gauge",
            "Rows of the outgoing mail queue (system mail), by status.",
            _grouped(OutgoingMail.objects, ("status",), ("status",)),
        ),
        Metric(
            "stmails_campaign_deliveries",
            "gauge",
            "Campaign deliveries, by status.",
            _grouped(Delivery.objects, ("status",), ("status",)),
        ),
        Metric(
            "stmails_messages_sent_total",
            "counter",
            "Messages handed to an SMTP server (outgoing mail and campaign deliveries).",
            [((), sent)],
        ),
        Metric(
            "stmails_unmatched_bounces_total",
            "counter",
            "Bounces that could not be matched to a subscriber.",
            [((), UnmatchedBounce.objects.count())],
        ),
        Metric(
            "stmails_unmatched_webhook_events_total",
            "counter",
            "Provider bounce events for an address that is no subscriber, by provider.",
            _grouped(
                WebhookEvent.objects.filter(status=WebhookEvent.Status.IGNORED).exclude(
                    type=IGNORED
                ),
                ("provider",),
                ("provider",),
            ),
        ),
        Metric(
            "stmails_subscribers",
            "gauge",
            "Subscribers, by status.",
            _grouped(Subscriber.objects, ("status",), ("status",)),
        ),
    ]


def _address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_ok(header: str, token: str) -> bool:
    if not token or not header.startswith("Bearer "):
        return False
    given = header[len("Bearer ") :].strip()
    return hmac.compare_digest(given.encode(), token.encode())


def access_refusal(request: HttpRequest) -> str:
    """Why the request may not read the metrics, or "" when it may."""
    values = config.get_values("metrics.token", "metrics.allowed_ips")
    from stmails.auth import client_address

    if _address_allowed(client_address(request), values["metrics.allowed_ips"]):
        return ""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if _token_ok(header, values["metrics.token"]):
        return ""
    if header:
        return "Forbidden: invalid metrics token.\n"
    return "Forbidden: this address is not in metrics.allowed_ips and no token was given.\n"


@login_not_required
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = access_refusal(request)
    if refusal:
        return HttpResponse(refusal, status=403, content_type="text/plain")
    return HttpResponse(render(collect()), content_type=CONTENT_TYPE)
