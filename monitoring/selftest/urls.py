"""The self-test pages, with full paths (mounted at "" before
the settings pages, whose settings/<slug> would otherwise take settings/probe)."""

from django.urls import path
from django.views.generic import RedirectView

from monitoring.selftest import views

app_name = "probe"
HOME = {"pattern_name": "deliverability:round_trip", "permanent": True}

urlpatterns = [
    path("settings/probe", views.probe_settings, name="settings"),
    path("settings/probe/run", views.probe_run, name="run"),
    # The header round trip's home is Deliverability (deliverability/urls.py);
    # these addresses are what it could be looked for under in Settings.
    path("settings/probe/round-trip", RedirectView.as_view(**HOME)),
    path("settings/round-trip", RedirectView.as_view(**HOME)),
]
