from django.urls import path

from monitoring.analytics import views

app_name = "analytics"

urlpatterns = [
    path("analytics", views.index, name="index"),
]
