from django.urls import path

from subscribers.imports import api

urlpatterns = [
    path("import/subscribers", api.ImportSubscribersView.as_view()),
    path("import/subscribers/logs", api.ImportLogsView.as_view()),
    path("import/subscribers/errors.csv", api.ImportErrorsView.as_view()),
    path("subscribers/export", api.ExportSubscribersView.as_view()),
]
