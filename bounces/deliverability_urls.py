"""The deliverability check page (/deliverability); /deliverability/round-trip is
in probe_urls.py."""

from django.urls import path

from bounces import deliverability_views

app_name = "deliverability"

urlpatterns = [
    path("deliverability", deliverability_views.index, name="index"),
]
