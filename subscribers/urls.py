"""Admin UI routes for subscribers and lists (the API lives in api_urls.py)."""

from django.urls import path

from subscribers import views, views_lists

app_name = "subscribers"

urlpatterns = [
    path("subscribers/", views.index, name="list"),
    path("subscribers/new", views.new, name="new"),
    path("subscribers/bulk", views.bulk, name="bulk"),
    path("subscribers/<int:pk>/", views.detail, name="detail"),
    path("subscribers/<int:pk>/edit", views.edit, name="edit"),
    path("subscribers/<int:pk>/blocklist", views.blocklist, name="blocklist"),
    path("subscribers/<int:pk>/delete", views.delete, name="delete"),
    path("subscribers/<int:pk>/lists", views.memberships, name="memberships"),
    path("lists/", views_lists.index, name="lists"),
    path("lists/new", views_lists.new, name="list_new"),
    path("lists/<int:pk>/", views_lists.detail, name="list_detail"),
    path("lists/<int:pk>/edit", views_lists.edit, name="list_edit"),
    path("lists/<int:pk>/delete", views_lists.delete, name="list_delete"),
]
