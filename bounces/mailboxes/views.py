"""Settings → Bounces → Bounce mailboxes: list, add, edit, delete, test, scan now."""

from __future__ import annotations

import uuid as uuidlib

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from bounces import tasks
from bounces.mailboxes import scanning
from bounces.mailboxes.client import MailboxError
from bounces.mailboxes.forms import MailboxForm
from bounces.mailboxes.validation import MAILBOX_DEFAULTS
from bounces.models import MailboxScan
from stmails import config
from stmails.lib.datetime_display import show_datetime
from stmails.models import SettingsChange
from stmails.settings_pages.views import TABS

NEW_DEFAULTS = dict(MAILBOX_DEFAULTS, host="")


def _boxes() -> list[dict]:
    return config.get_masked_settings()["bounce.mailboxes"]


def _box_or_404(boxes: list[dict], uuid: object) -> dict:
    for box in boxes:
        if box["uuid"] == str(uuid):
            return box
    raise Http404("no such bounce mailbox")


def _last_scans(boxes: list[dict]) -> dict[str, MailboxScan]:
    last: dict[str, MailboxScan] = {}
    uuids = [uuidlib.UUID(b["uuid"]) for b in boxes]
    for scan in MailboxScan.objects.filter(mailbox_uuid__in=uuids, dry_run=False):
        last.setdefault(str(scan.mailbox_uuid), scan)  # newest first (Meta.ordering)
    return last


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    context = {"nav": "settings", "tabs": TABS, "tab": "bounces", **context}
    return render(request, template, context, status=status)


def mailboxes(request: HttpRequest) -> HttpResponse:
    boxes = _boxes()
    last = _last_scans(boxes)
    rows = [{"box": b, "scan": last.get(b["uuid"])} for b in boxes]
    context = {
        "rows": rows,
        "bounce_enabled": config.get_value("bounce.enabled"),
    }
    return _render(request, "bounces/mailboxes.html", context)


def _test(box: dict, form: MailboxForm | None = None) -> tuple[bool, str]:
    try:
        count = scanning.test_connection(box)
    except config.SettingsError as e:
        if form is not None:
            form.add_settings_error(e)
        return False, str(e)
    except MailboxError as e:
        return False, e.message
    return True, f"Connection and login succeeded: {count} message(s) in the mailbox."


def _new_id(posted: str | None, boxes: list[dict]) -> str:
    """Keep the id a "Test connection" round trip carried, unless taken or bad."""
    try:
        candidate = str(uuidlib.UUID(posted or ""))
    except ValueError:
        return str(uuidlib.uuid4())
    if any(b["uuid"] == candidate for b in boxes):
        return str(uuidlib.uuid4())
    return candidate


@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, uuid: uuidlib.UUID | None = None):
    """Add (uuid None) or edit one mailbox; "Test connection" tests the form's values."""
    boxes = _boxes()
    current = _box_or_404(boxes, uuid) if uuid else None
    initial = {k: v for k, v in (current or NEW_DEFAULTS).items() if k != "uuid"}
    form = MailboxForm(request.POST or None, initial=initial)
    box_id = str(uuid) if uuid else _new_id(request.POST.get("uuid"), boxes)
    test_result = None
    if request.method == "POST" and form.is_valid():
        box = form.mailbox(box_id)
        if request.POST.get("action") == "test":
            test_result = _test(box, form)
        else:
            if current is None:
                boxes.append(box)
            else:
                boxes[boxes.index(current)] = box
            try:
                config.update_settings(
                    {"bounce.mailboxes": boxes},
                    actor=SettingsChange.actor_for(request.user),
                )
            except config.SettingsError as e:
                form.add_settings_error(e)
            else:
                messages.success(request, f"Bounce mailbox {box['host']} saved.")
                return redirect("bounce_mailboxes:index")
    context = {
        "form": form,
        "box_id": box_id,
        "is_new": current is None,
        "test_result": test_result,
    }
    status = 400 if form.errors else 200
    return _render(request, "bounces/mailboxes_edit.html", context, status)


@require_POST
def mailbox_test(request: HttpRequest, uuid: uuidlib.UUID) -> HttpResponse:
    box = _box_or_404(_boxes(), uuid)
    ok, text = _test(box)
    # Post/Redirect/Get: the result is a message, so a reload does not test again.
    name = f"Bounce mailbox {box['host']}:{box['port']}"
    if ok:
        messages.success(request, f"{name}: {text}")
    else:
        messages.error(request, f"{name}: test failed: {text}")
    return redirect("bounce_mailboxes:index")


@require_POST
def mailbox_delete(request: HttpRequest, uuid: uuidlib.UUID) -> HttpResponse:
    boxes = _boxes()
    box = _box_or_404(boxes, uuid)
    boxes.remove(box)
    config.update_settings(
        {"bounce.mailboxes": boxes}, actor=SettingsChange.actor_for(request.user)
    )
    messages.success(request, f"Bounce mailbox {box['name']} deleted.")
    return redirect("bounce_mailboxes:index")


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return show_datetime(moment)


@require_POST
def mailbox_scan(request: HttpRequest, uuid: uuidlib.UUID) -> HttpResponse:
    """Queue a scan, unless one is running: then say so, and since when.

    A running scan without progress for MailboxScan.STALE_AFTER is stale: the
    queued scan takes it over (bounces/mailboxes/scanning.py).
    """
    box = _box_or_404(_boxes(), uuid)
    name = box["name"]
    last = MailboxScan.objects.filter(mailbox_uuid=uuid, dry_run=False).first()
    running = last is not None and last.status == MailboxScan.Status.RUNNING
    if not config.get_value("bounce.enabled"):
        messages.warning(
            request, "Bounce processing is disabled: enable it to scan mailboxes."
        )
    elif running and not last.is_stale():
        messages.info(
            request,
            f"A scan of {name} is already running, since {_when(last.started_at)} "
            f"({last.done} of {last.total} messages so far): no second scan was "
            "queued.",
        )
    else:
        tasks.scan_mailbox.delay_on_commit(mailbox_uuid=box["uuid"])
        if running:
            messages.warning(
                request,
                f"The scan of {name} running since {_when(last.started_at)} is "
                f"stale (no progress since {_when(last.heartbeat_at)}): a new scan "
                "was queued and takes it over.",
            )
        else:
            messages.success(
                request,
                f"Scan of {name} queued: it starts as soon as a scan worker is free.",
            )
    return redirect("bounce_mailboxes:index")


def mailbox_status(request: HttpRequest, uuid: uuidlib.UUID) -> JsonResponse:
    """The last scan's progress and result, polled by the mailboxes page."""
    _box_or_404(_boxes(), uuid)
    scan = MailboxScan.objects.filter(mailbox_uuid=uuid, dry_run=False).first()
    if scan is None:
        return JsonResponse({"status": "none"})
    return JsonResponse(
        {
            "status": scan.status,
            "stale": scan.is_stale(),
            "done": scan.done,
            "total": scan.total,
            "percent": scan.percent,
            "counts": scan.counts,
            "error": scan.error,
            "started_at": scan.started_at.isoformat(),
            "heartbeat_at": scan.heartbeat_at.isoformat(),
            "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
        }
    )
