from django.urls import path

from subscribers import import_api

urlpatterns = [
    path("import/subscribers", import_api.ImportSubscribersView.as_view()),
    path("import/subscribers/logs", import_api.ImportLogsView.as_view()),
    path("import/subscribers/errors.csv", import_api.ImportErrorsView.as_view()),
    path("subscribers/export", import_api.ExportSubscribersView.as_view()),
]
