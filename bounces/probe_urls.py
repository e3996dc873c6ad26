"""The self-test and header round trip pages, with full paths (mounted at "" before
the settings pages, whose settings/<slug> would otherwise take settings/probe)."""

from django.urls import path

from bounces import probe_views

app_name = "probe"

urlpatterns = [
    path("settings/probe", probe_views.probe_settings, name="settings"),
    path("settings/probe/run", probe_views.probe_run, name="run"),
    path("deliverability/round-trip", probe_views.round_trip, name="round_trip"),
]
