"""The Deliverability section: the DNS check and the header round trip (whose
view is with the self-test's, in probe_views.py)."""

from django.urls import path

from bounces import deliverability_views, probe_views

app_name = "deliverability"

urlpatterns = [
    path("deliverability", deliverability_views.index, name="index"),
    path("deliverability/round-trip", probe_views.round_trip, name="round_trip"),
]
