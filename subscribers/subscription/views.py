"""Public pages: subscription form, opt-in confirmation, unsubscribe, preferences.

No login. Writes happen only on POST, never on GET: link scanners (mail
security gateways, previews) open every link in a mail, and a GET that confirmed
or unsubscribed would let them confirm subscriptions nobody asked for or drop
people from lists. So each link opens a page with one button.

Every successful POST answers with a redirect to a GET page that shows the
result (Post/Redirect/Get): reloading that page does not subscribe, confirm or
unsubscribe again, nor send another mail. The result is read back from the
database or chosen by a fixed flag in the query string, never echoed from it.

The POSTs are exempt from CSRF checks: the signed token in the URL is what
authorizes them (a forger cannot make one), mail clients send RFC 8058 one-click
POSTs without cookies, and the subscription form is meant to be embedded on
other sites. The form is guarded by a honeypot and rate limits instead.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from stmails import config
from stmails.auth import client_address
from subscribers import links, ratelimit
from subscribers.models import Subscriber, Subscription
from subscribers.services import SubscriberError
from subscribers.subscription import confirmation, optin

HONEYPOT = "nonce"
TOO_MANY = "Too many attempts. Please wait a while and try again."


# What a preferences POST did, named by the flag of the redirect that follows it.
NOTICES = {
    "unsubscribed": "You are unsubscribed from every list.",
    "saved": "Your preferences are saved.",
    "confirm": "Your preferences are saved. Check your inbox to confirm the new "
    "subscriptions.",
}


def page_enabled() -> bool:
    return bool(config.get_value("app.enable_public_subscription_page"))


def _message(
    request: HttpRequest, title: str, text: str, *, status: int = 200, kind: str = ""
) -> HttpResponse:
    context = {"title": title, "text": text, "kind": kind}
    return render(request, "subscription/message.html", context, status=status)


def _form(
    request: HttpRequest, *, values: dict, errors: dict, status: int = 200
) -> HttpResponse:
    context = {
        "lists": optin.public_lists(),
        "values": values,
        "errors": errors,
        "honeypot": HONEYPOT,
    }
    return render(request, "subscription/form.html", context, status=status)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscription_form(request: HttpRequest) -> HttpResponse:
    if not page_enabled():
        raise Http404("the public subscription page is disabled")
    if request.method == "GET":
        if request.GET.get("done"):
            return _done(request)
        values = {"l": request.GET.getlist("l")}
        return _form(request, values=values, errors={})
    values = {
        "email": request.POST.get("email", ""),
        "name": request.POST.get("name", ""),
        "l": request.POST.getlist("l"),
    }
    if request.POST.get(HONEYPOT):
        # A bot filled the hidden field: answer as for a person, do nothing.
        return _to_done(request, values["email"])
    if not ratelimit.allow_ip(client_address(request)) or (
        values["email"].strip() and not ratelimit.allow_address(values["email"])
    ):
        return _message(request, "Please wait", TOO_MANY, status=429, kind="error")
    try:
        optin.public_subscribe(
            email=values["email"],
            name=values["name"],
            list_uuids=values["l"],
            ip=client_address(request),
        )
    except SubscriberError as e:
        field = "l" if e.field == "list_uuids" else e.field
        return _form(request, values=values, errors={field: e.message}, status=400)
    return _to_done(request, values["email"])


def _to_done(request: HttpRequest, email: str) -> HttpResponse:
    """The same answer whatever became of the address (new, already confirmed,
    returning, blocklisted): the form must not reveal who is on which list. The
    address the visitor typed goes with the redirect as a message (a cookie), not
    in the URL, where access logs would keep it."""
    messages.success(
        request, f"We have received your subscription request for {email.strip()}."
    )
    return redirect(reverse("subscription:form") + "?done=1")


def _done(request: HttpRequest) -> HttpResponse:
    context = {"confirmations": confirmation.confirmations_enabled()}
    return render(request, "subscription/done.html", context)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def optin_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the page with a "Confirm" button; POST: confirm (scanner-safe)."""
    if request.method == "POST" and request.POST.get("action") == "resend":
        return _resend_expired(request, token)
    if request.method == "GET" and request.GET.get("resent"):
        return _resent(request, token)
    try:
        subscriber = links.read_optin_token(token)
    except links.TokenError as e:
        return render(
            request,
            "subscription/optin.html",
            {"error": str(e), "expired": e.expired},
            status=410 if e.expired else 404,
        )
    if request.method == "POST":
        optin.confirm_optin(token)
        return redirect(request.path + "?done=1")
    if request.GET.get("manage"):
        # listmonk's ManageURL is the unsubscribe link with ?manage=true.
        return redirect(links.preferences_url(subscriber))
    if request.GET.get("done"):
        # What is confirmed now, read back: the same page after any reload.
        confirmed = [
            s.list
            for s in Subscription.objects.filter(
                subscriber=subscriber, status=Subscription.Status.CONFIRMED
            )
            .select_related("list")
            .order_by("list__name", "list_id")
        ]
        return render(
            request,
            "subscription/optin.html",
            {"subscriber": subscriber, "confirmed": confirmed, "done": True},
        )
    pending = [s.list for s in confirmation.pending_double_optin(subscriber)]
    if subscriber.is_blocklisted:
        pending = []
    return render(
        request,
        "subscription/optin.html",
        {"subscriber": subscriber, "pending": pending},
    )


def _resend_expired(request: HttpRequest, token: str) -> HttpResponse:
    """An expired link's page offers a new one: its signature proves whose it is."""
    try:
        subscriber = links.read_optin_token(token, allow_expired=True)
    except links.TokenError as e:
        return _message(request, "Invalid link", str(e), status=404, kind="error")
    if not ratelimit.allow_address(subscriber.email):
        return _message(request, "Please wait", TOO_MANY, status=429, kind="error")
    mail = confirmation.send_optin_confirmation(subscriber)
    if mail is None:
        return _message(
            request,
            "Nothing to confirm",
            "There is no subscription waiting for confirmation.",
        )
    return redirect(request.path + "?resent=1")


def _resent(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = links.read_optin_token(token, allow_expired=True)
    except links.TokenError as e:
        return _message(request, "Invalid link", str(e), status=404, kind="error")
    return _message(
        request,
        "Check your inbox",
        f"We sent a new confirmation link to {subscriber.email}. "
        "Check your inbox to confirm your subscription.",
        kind="success",
    )


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with an "Unsubscribe" button. POST: unsubscribe; this is also
    the RFC 8058 one-click endpoint (body List-Unsubscribe=One-Click)."""
    try:
        subscriber, list_ids = links.read_subscription_token(token)
    except links.TokenError as e:
        return _message(request, "Invalid link", str(e), status=404, kind="error")
    if request.method == "POST":
        if request.POST.get("scope") == "all":
            list_ids = None
        optin.unsubscribe(subscriber, list_ids)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mail client wants an answer, not a page to follow.
            return HttpResponse("unsubscribed\n", content_type="text/plain")
        return redirect(request.path + "?done=1")
    if request.GET.get("manage"):
        # listmonk's ManageURL is the unsubscribe link with ?manage=true.
        return redirect(links.preferences_url(subscriber))
    if request.GET.get("done"):
        return render(
            request,
            "subscription/unsubscribe.html",
            {"done": True, "preferences_url": links.preferences_url(subscriber)},
        )
    lists = subscriber.lists.filter(id__in=list_ids) if list_ids is not None else None
    return render(
        request,
        "subscription/unsubscribe.html",
        {
            "subscriber": subscriber,
            "lists": lists,
            "preferences_url": links.preferences_url(subscriber),
        },
    )


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = links.read_subscription_token(token)
    except links.TokenError as e:
        return _message(request, "Invalid link", str(e), status=404, kind="error")
    if request.method == "POST":
        if request.POST.get("action") == "unsubscribe_all":
            optin.unsubscribe(subscriber)
            saved = "unsubscribed"
        else:
            wanted = {
                int(v)
                for v in request.POST.getlist("list")
                if v.isascii() and v.isdigit() and len(v) <= 18
            }
            result = optin.update_preferences(subscriber, wanted)
            saved = "confirm" if result.mail is not None else "saved"
        return redirect(f"{request.path}?saved={saved}")
    notice = NOTICES.get(request.GET.get("saved", ""), "")
    rows = [
        {
            "list": lst,
            "status": status,
            "active": status in ("confirmed", "unconfirmed"),
        }
        for lst, status in optin.preference_lists(subscriber)
    ]
    return render(
        request,
        "subscription/preferences.html",
        {"subscriber": subscriber, "rows": rows, "notice": notice},
    )


# --- admin: "Send opt-in confirmation" on the subscriber page ------------------------


@require_POST
def resend_optin(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_object_or_404(Subscriber, pk=pk)
    if not confirmation.confirmations_enabled():
        messages.error(
            request,
            "Not sent: subscription confirmation (double opt-in) is off in "
            "Settings → General.",
        )
    elif subscriber.is_blocklisted:
        messages.error(
            request,
            f"Not sent: {subscriber.email} is blocklisted (no mail goes to a "
            "blocklisted subscriber).",
        )
    elif confirmation.send_optin_confirmation(subscriber) is None:
        messages.error(
            request,
            f"Not sent: {subscriber.email} has no double opt-in list awaiting "
            "confirmation.",
        )
    else:
        messages.success(request, f"Opt-in confirmation queued for {subscriber.email}.")
    return redirect("subscribers:detail", pk=subscriber.pk)
