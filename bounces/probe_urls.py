"""The self-test pages, with full paths (mounted at "" before
the settings pages, whose settings/<slug> would otherwise take settings/probe)."""

from django.urls import path
from django.views.generic import RedirectView

from bounces import probe_views

app_name = "probe"
HOME = {"pattern_name": "deliverability:round_trip", "permanent": True}

urlpatterns = [
    path("settings/probe", probe_views.probe_settings, name="settings"),
    path("settings/probe/run", probe_views.probe_run, name="run"),
    # The header round trip's home is Deliverability (deliverability_urls.py);
    # these addresses are what it could be looked for under in Settings.
    path("settings/probe/round-trip", RedirectView.as_view(**HOME)),
    path("settings/round-trip", RedirectView.as_view(**HOME)),
]
