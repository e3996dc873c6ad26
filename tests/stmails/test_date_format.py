"""One display format for dates and times in the admin: "2026-12-03 14:05 UTC"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import override_settings
from django.utils import timezone

from stmails.lib.datetime_display import show_datetime
from stmails.models import Heartbeat

ROOT = Path(settings.BASE_DIR)
MOMENT = datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC)

# |date:"c" is ISO 8601 for machines (<time datetime="…">); nothing else may pick
# its own format: humans get |when (stmails/templatetags/when.py).
AD_HOC = re.compile(
    r"""\|\s*(?:date|time)\s*:\s*(?!["']c["'])["'][^"']*["']"""
    r"""|\|\s*(?:date|time)\b(?!\s*:)"""
    r"""|\|\s*(?:naturaltime|naturalday|timesince|timeuntil)\b"""
    r"""|\{%\s*now\b"""
)


def template_files() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(p for folder in folders for p in folder.rglob("*.html"))


def test_it_walks_the_templates_of_the_project_and_of_the_apps():
    files = {p.relative_to(ROOT).parts[0] for p in template_files()}
    assert "templates" in files
    assert len(template_files()) > 50


def test_no_template_formats_a_date_its_own_way():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {m.group(0)}"
        for path in template_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for m in AD_HOC.finditer(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        '{{ x|date:"Y-m-d H:i" }}',
        "{{ x|date:'H:i' }}",
        '{{ x|time:"H:i:s" }}',
        "{{ x|date }}",
        "{{ x|naturaltime }}",
        "{{ x|timesince }}",
        '{% now "Y" %}',
    ],
)
def test_the_check_catches_each_ad_hoc_format(snippet):
    assert AD_HOC.search(snippet)


def test_the_check_lets_the_machine_format_and_the_filter_through():
    assert not AD_HOC.search("<time datetime=\"{{ x|date:'c' }}\">{{ x|when }}</time>")


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "2026-12-03 14:05 UTC"),
        ("Europe/Berlin", "2026-12-03 15:05 CET"),
        ("America/New_York", "2026-12-03 09:05 EST"),
    ],
)
def test_it_shows_a_moment_in_the_configured_zone(zone, shown):
    with override_settings(TIME_ZONE=zone):
        assert show_datetime(MOMENT) == shown
        template = engines["django"].from_string("{{ m|when }}|{{ m }}")
        # A datetime rendered without the filter looks the same (FORMAT_MODULE_PATH).
        assert template.render({"m": MOMENT}) == f"{shown}|{shown}"


def test_it_shows_a_day_and_nothing_for_no_moment():
    template = engines["django"].from_string('{{ d|when }}/{{ n|when|default:"—" }}')
    assert template.render({"d": date(2026, 12, 3), "n": None}) == "2026-12-03/—"


def test_a_naive_moment_is_read_in_the_server_zone():
    with override_settings(TIME_ZONE="Europe/Berlin"):
        assert show_datetime(datetime(2026, 7, 1, 8, 30)) == "2026-07-01 08:30 CEST"


@pytest.mark.django_db
def test_a_dashboard_card_shows_the_moment_beside_how_long_ago(client_alice):
    seen = timezone.now() - timedelta(seconds=20)
    Heartbeat.objects.create(name="worker", seen_at=seen)

    html = client_alice.get("/").content.decode()

    card = re.search(r'<li class="state ok" data-kind="worker".*?</li>', html, re.S)
    assert card is not None
    assert re.search(r"seen \d+ s ago", card.group(0))  # the age stays, and …
    shown = timezone.localtime(seen).strftime("%Y-%m-%d %H:%M %Z")
    assert f">{shown}</time>" in card.group(0)  # … the moment is beside it
