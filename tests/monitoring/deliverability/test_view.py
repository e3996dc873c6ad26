"""The /deliverability page with a fake DNS: what it checks, shows and saves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from stmails import config
from stmails.lib import dns_resolver
from stmails.models import SettingsChange
from tests.monitoring.deliverability.fakes import FakeResolver, good_zone


@pytest.fixture
def fake_dns():
    resolver = FakeResolver(
        txt=good_zone(), mx={"example.com": [(10, "mx.example.com")]}
    )
    previous = dns_resolver.set_resolver(resolver)
    yield resolver
    dns_resolver.set_resolver(previous)


@pytest.fixture
def sending_setup(db):
    config.update_settings(
        {
            "app.from_email": "News <news@example.com>",
            "deliverability.dkim_selectors": ["s1"],
        }
    )


def test_it_needs_login(client, alice):
    response = client.get("/deliverability")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_it_lists_domains_without_looking_anything_up(
    client_alice, sending_setup, fake_dns
):
    response = client_alice.get("/deliverability")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>example.com</td>" in html
    assert 'href="/deliverability/round-trip"' in html
    assert 'href="/deliverability" class="active"' in html
    assert fake_dns.asked == []


def test_it_shows_green_cards_for_a_good_setup(client_alice, sending_setup, fake_dns):
    response = client_alice.get("/deliverability?check=1")
    assert response.status_code == 200
    report = response.context["report"]
    (domain,) = report.domains
    assert domain.domain == "example.com"
    assert domain.status == "ok"
    html = response.content.decode()
    assert 'class="card domain-card sev-ok" id="domain-example.com"' in html
    assert "v=spf1 include:_spf.mailer.example -all" in html
    assert "RSA DKIM key found (2048 bits)" in html
    assert "DKIM alignment cannot be seen in DNS" in html


def test_it_explains_what_is_wrong(client_alice, sending_setup, fake_dns):
    fake_dns.txt_records.pop("_dmarc.example.com")
    fake_dns.txt_records["example.com"] = ["v=spf1 +all"]
    response = client_alice.get("/deliverability?check=1")
    html = response.content.decode()
    assert 'class="card domain-card sev-error"' in html
    assert "No DMARC record" in html
    assert "What to do: Start with a TXT record at _dmarc.example.com" in html
    assert "SPF allows anyone (+all)" in html


def test_it_says_could_not_check_when_dns_fails(client_alice, sending_setup, fake_dns):
    fake_dns.failing = {"example.com", "_dmarc.example.com"}
    html = client_alice.get("/deliverability?check=1").content.decode()
    assert "Could not check SPF" in html
    assert "No SPF record" not in html
    assert "No DMARC record" not in html


def test_it_checks_recent_campaign_domains_only(client_alice, sending_setup, fake_dns):
    Campaign.objects.create(name="Spring", from_email="Shop <hi@shop.example>")
    old = Campaign.objects.create(name="Ancient", from_email="x@old.example")
    Campaign.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=120)
    )
    response = client_alice.get("/deliverability?check=1")
    domains = [d.domain for d in response.context["report"].domains]
    assert domains == ["example.com", "shop.example"]
    shop = response.context["report"].domains[1]
    assert shop.roles == ["From", "Return-Path"]
    assert shop.sources[0] == "From of campaign “Spring”"
    assert shop.status == "error"  # the fake DNS knows nothing of shop.example


def test_it_saves_selectors_and_extra_domains(client_alice, sending_setup):
    response = client_alice.post(
        "/deliverability",
        {
            "deliverability__dkim_selectors": "s1\nExample.com:S2, s1",
            "deliverability__extra_domains": "other.example\n",
        },
    )
    assert response.status_code == 302
    values = config.get_values(
        "deliverability.dkim_selectors", "deliverability.extra_domains"
    )
    assert values == {
        "deliverability.dkim_selectors": ["s1", "example.com:s2"],
        "deliverability.extra_domains": ["other.example"],
    }
    change = SettingsChange.objects.filter(key="deliverability.dkim_selectors")
    assert change.latest("pk").actor == "alice"


def test_it_shows_a_bad_entry_beside_its_field(client_alice, sending_setup):
    response = client_alice.post(
        "/deliverability",
        {
            "deliverability__dkim_selectors": "s1\nbad selector!",
            "deliverability__extra_domains": "",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["deliverability__dkim_selectors"]
    assert errors == [
        'entry 2 (bad selector!): must be a DKIM selector such as "s1" or "example.com:s1"'
    ]
    assert config.get_value("deliverability.dkim_selectors") == ["s1"]


def test_the_settings_api_validates_the_keys(api_client, db):
    response = api_client.put(
        "/api/settings",
        {"deliverability.extra_domains": ["not a domain"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "deliverability.extra_domains[0]" in response.json()["message"]
