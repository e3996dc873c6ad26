"""Admin UI routes for bounces (mounted at /bounces/; the API lives in api_urls.py)."""

from django.urls import path

from bounces import unmatched_views, views

app_name = "bounces"

urlpatterns = [
    path("", views.index, name="index"),
    path("delete", views.delete_selected, name="delete"),
    path("delete-all", views.delete_all, name="delete_all"),
    path("blocklist", views.blocklist_all, name="blocklist"),
    path("subscribers/<int:pk>/reset", views.reset_subscriber, name="reset_subscriber"),
    path("unmatched", unmatched_views.unmatched, name="unmatched"),
    path("unmatched/delete", unmatched_views.unmatched_delete, name="unmatched_delete"),
    path("unmatched/<int:pk>/raw", unmatched_views.unmatched_raw, name="unmatched_raw"),
    path(
        "unmatched/<int:pk>/payload",
        unmatched_views.unmatched_payload,
        name="unmatched_payload",
    ),
    path("<int:pk>/raw", unmatched_views.bounce_raw, name="raw"),
    path("<int:pk>/raw.eml", unmatched_views.bounce_raw_download, name="raw_download"),
    path("<int:pk>/undo", unmatched_views.bounce_undo, name="undo"),
]
