"""Settings → Privacy and the fold command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.tracking.models import CampaignView, TrackingHit
from stmails import config
from tests.campaigns.tracking_helpers import campaign, hit

pytestmark = pytest.mark.django_db


def test_the_privacy_page_saves_listmonks_keys(client_alice):
    page = client_alice.get("/settings/privacy")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="privacy__disable_tracking"' in html
    assert 'name="privacy__individual_tracking"' in html

    response = client_alice.post(
        "/settings/privacy", {"privacy__disable_tracking": "on"}
    )

    assert response.status_code == 302
    assert config.get_value("privacy.disable_tracking") is True
    assert config.get_value("privacy.individual_tracking") is False


def test_the_api_settings_carry_the_keys_with_listmonks_defaults(api_client):
    data = api_client.get("/api/settings").json()["data"]
    assert data["privacy.disable_tracking"] is False
    assert data["privacy.individual_tracking"] is False


def test_the_command_folds_and_its_dry_run_only_counts(make_subscriber):
    hit("view", campaign(), make_subscriber())
    out = StringIO()

    call_command("fold_tracking_hits", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "1 hits waiting"
    assert TrackingHit.objects.count() == 1

    call_command("fold_tracking_hits", stdout=out)
    assert "1 hits: 1 views, 0 clicks" in out.getvalue()
    assert CampaignView.objects.count() == 1
