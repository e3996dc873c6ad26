"""The Deliverability section: the DNS check and the header round trip (whose
view is with the self-test's, in selftest/views.py)."""

from django.urls import path

from monitoring.deliverability import views
from monitoring.selftest import views as selftest_views

app_name = "deliverability"

urlpatterns = [
    path("deliverability", views.index, name="index"),
    path("deliverability/round-trip", selftest_views.round_trip, name="round_trip"),
]
