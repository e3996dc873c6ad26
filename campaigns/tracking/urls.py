"""Public tracking routes, listmonk's shapes. The uuid converter answers 404
to anything that is not a uuid, before any view runs."""

from django.urls import path

from campaigns.tracking import hits

app_name = "tracking"

urlpatterns = [
    path(
        "link/<uuid:link_uuid>/<uuid:campaign_uuid>/<uuid:subscriber_uuid>",
        hits.link_redirect,
        name="link",
    ),
    path(
        "campaign/<uuid:campaign_uuid>/<uuid:subscriber_uuid>/px.png",
        hits.view_pixel,
        name="pixel",
    ),
]
