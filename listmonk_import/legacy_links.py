"""listmonk's subscription links, for mail sent before the move.

listmonk mails carry bare uuids: /subscription/{campaign_uuid}/{subscriber_uuid}
(unsubscribe; also its List-Unsubscribe one-click URL) and
/subscription/optin/{subscriber_uuid} (confirm). The import keeps every uuid,
so these routes find the subscriber and hand over to stmails' own pages with a
freshly signed token: the same page on GET, the same action on POST (never on
GET: link scanners open every link), the same Post/Redirect/Get back to this
URL. An unknown subscriber gets the 404 page.

The campaign uuid narrows the unsubscribe to the campaign's lists, as in
listmonk. A campaign stmails does not know (deleted in listmonk before the
move) still lets its recipient unsubscribe, from every list: a mail that
cannot be unsubscribed from is reported as spam.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign
from subscribers import links
from subscribers.models import MailingList, Subscriber
from subscribers.subscription import views

NOT_FOUND = "This link belongs to no subscription here (any more)."


def _not_found(request: HttpRequest) -> HttpResponse:
    context = {"title": "Invalid link", "text": NOT_FOUND, "kind": "error"}
    return render(request, "subscription/message.html", context, status=404)


@login_not_required
@csrf_exempt  # as stmails' own unsubscribe: the uuid authorizes, one-click has no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(
    request: HttpRequest, campaign_uuid: UUID, subscriber_uuid: UUID
) -> HttpResponse:
    subscriber = Subscriber.objects.filter(uuid=subscriber_uuid).first()
    if subscriber is None:
        return _not_found(request)
    campaign = Campaign.objects.filter(uuid=campaign_uuid).first()
    lists = None
    if campaign is not None:
        lists = list(MailingList.objects.filter(campaign_lists__campaign=campaign))
    # No list left (all deleted): the unsubscribe is from every list.
    token = links.subscription_token(subscriber, lists or None)
    return views.unsubscribe(request, token)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def optin(request: HttpRequest, subscriber_uuid: UUID) -> HttpResponse:
    subscriber = Subscriber.objects.filter(uuid=subscriber_uuid).first()
    if subscriber is None:
        return _not_found(request)
    return views.optin_confirm(request, links.optin_token(subscriber))
