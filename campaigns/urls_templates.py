"""Admin UI routes for templates (/templates/; the API is in api_urls.py)."""

from django.urls import path

from campaigns import views_templates as views

app_name = "templates"

urlpatterns = [
    path("", views.index, name="list"),
    path("new", views.new, name="new"),
    path("preview", views.preview, name="preview"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/clone", views.clone, name="clone"),
    path("<int:pk>/default", views.set_default, name="default"),
    path("<int:pk>/delete", views.delete, name="delete"),
]
