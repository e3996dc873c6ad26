"""The docs site and the README: short README, a page per provider, no broken build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from webhooks.providers.registry import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_stays_short_and_its_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 10 * 1024
    assert readme.index("make run") < readme.index("Root URL")
    for target in re.findall(r"\]\(((?:docs|bench)/[^)#]+)", readme):
        assert (ROOT / target).is_file(), target


@pytest.mark.parametrize("slug", sorted(PROVIDERS))
def test_every_provider_has_a_page_in_the_site(slug):
    page = ROOT / "docs" / "providers" / f"{slug}.md"
    assert page.is_file()
    assert f"providers/{slug}.md" in (ROOT / "mkdocs.yml").read_text()
    assert f"/webhooks/service/{slug}" in page.read_text() or slug in page.read_text()


def test_the_site_builds_strictly(tmp_path):
    # A dev dependency (pyproject.toml), installed beside this Python by make.
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    r = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "site" / "providers" / "mailgun" / "index.html").is_file()
