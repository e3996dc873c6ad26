from django.urls import path

from subscribers.imports import views

app_name = "imports"

urlpatterns = [
    path("subscribers/import", views.upload, name="upload"),
    path("subscribers/import/<int:job_id>", views.progress, name="progress"),
    path("subscribers/import/<int:job_id>/status", views.status, name="status"),
    path("subscribers/import/<int:job_id>/stop", views.stop, name="stop"),
    path(
        "subscribers/import/<int:job_id>/errors.csv",
        views.errors_csv,
        name="errors",
    ),
    path("subscribers/export", views.export, name="export"),
]
