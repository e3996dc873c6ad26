"""Admin UI routes for campaigns (the API lives in api_urls.py)."""

from django.urls import path

from campaigns import views, views_tx

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="list"),
    path("new", views.new, name="new"),
    path("tx", views_tx.tx_log_view, name="tx_log"),
    path("tx/test", views_tx.tx_test_view, name="tx_test"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit", views.edit, name="edit"),
    path("<int:pk>/preview", views.preview, name="preview"),
    path("<int:pk>/status", views.status, name="status"),
    path("<int:pk>/progress", views.progress, name="progress"),
    path("<int:pk>/test", views.test_send, name="test"),
    path("<int:pk>/delete", views.delete, name="delete"),
    path("<int:pk>/clone", views.clone, name="clone"),
]
