from django.urls import path

from bench.floor import views

urlpatterns = [
    path("health", views.health),
    path("floor", views.floor),
]
