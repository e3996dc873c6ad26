"""Admin UI routes for bounces (mounted at /bounces/; the API lives in api_urls.py)."""

from django.urls import path

from bounces import views

app_name = "bounces"

urlpatterns = [
    path("", views.index, name="index"),
    path("delete", views.delete_selected, name="delete"),
    path("delete-all", views.delete_all, name="delete_all"),
    path("blocklist", views.blocklist_all, name="blocklist"),
    path("subscribers/<int:pk>/reset", views.reset_subscriber, name="reset_subscriber"),
]
