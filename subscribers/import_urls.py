from django.urls import path

from subscribers import import_views

app_name = "imports"

urlpatterns = [
    path("subscribers/import", import_views.upload, name="upload"),
    path("subscribers/import/<int:job_id>", import_views.progress, name="progress"),
    path("subscribers/import/<int:job_id>/status", import_views.status, name="status"),
    path("subscribers/import/<int:job_id>/stop", import_views.stop, name="stop"),
    path(
        "subscribers/import/<int:job_id>/errors.csv",
        import_views.errors_csv,
        name="errors",
    ),
    path("subscribers/export", import_views.export, name="export"),
]
