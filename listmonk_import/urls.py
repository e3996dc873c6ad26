"""listmonk's link shapes (legacy_links.py). Included before the subscription
pages: the uuid converter only matches a uuid, anything else falls through to
stmails' signed-token routes."""

from django.urls import path

from listmonk_import import legacy_links

app_name = "listmonk"

urlpatterns = [
    path(
        "subscription/optin/<uuid:subscriber_uuid>",
        legacy_links.optin,
        name="optin",
    ),
    path(
        "subscription/<uuid:campaign_uuid>/<uuid:subscriber_uuid>",
        legacy_links.unsubscribe,
        name="unsubscribe",
    ),
]
