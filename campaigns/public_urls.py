"""Public campaign routes (listmonk's paths): the archive and "view in browser"."""

from django.urls import path

from campaigns import views_public

urlpatterns = [
    path("archive", views_public.archive_index, name="campaign-archive"),
    path("archive.xml", views_public.archive_feed, name="campaign-archive-feed"),
    path("archive/latest", views_public.archive_latest, name="campaign-archive-latest"),
    path("archive/<str:key>", views_public.archive_page, name="campaign-archive-page"),
    path(
        "campaign/<str:campaign_uuid>/<str:subscriber_uuid>",
        views_public.campaign_message,
        name="campaign-message",
    ),
]
