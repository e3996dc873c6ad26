"""stmails' routes plus the floor: the least a Django view can do for a click,
one INSERT and a redirect (no settings read, no link lookup, no ORM)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from stmails.urls import urlpatterns as stmails_urlpatterns

SQL = (
    "INSERT INTO tracking_hits (kind, link_id, campaign_uuid, subscriber_uuid,"
    " individual, ip_net, user_agent, created_at)"
    " VALUES ('floor', NULL, %s, %s, false, '', '', %s)"
)


@login_not_required
def floor(request, link_uuid, campaign_uuid, subscriber_uuid):
    with connection.cursor() as cursor:
        cursor.execute(SQL, [campaign_uuid, subscriber_uuid, timezone.now()])
    return HttpResponseRedirect("https://example.org/floor")


urlpatterns = [
    path("floor/<uuid:link_uuid>/<uuid:campaign_uuid>/<uuid:subscriber_uuid>", floor),
    *stmails_urlpatterns,
]
