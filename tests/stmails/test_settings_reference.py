"""docs/settings.md is generated from the settings registry; these keep it so."""

import pytest
from django.core.management import CommandError, call_command

from stmails.config import REGISTRY
from stmails.config.reference import PAGE, render_reference


def test_the_committed_page_is_what_the_registry_generates():
    # Fails after a key is added or changed: run `manage.py settings_reference`.
    assert PAGE.read_text() == render_reference()


def test_it_lists_every_key_once():
    page = render_reference()
    for name in REGISTRY:
        assert page.count(f"### `{name}`\n") == 1, name


def test_it_shows_environment_defaults_by_name_not_value(settings):
    # The page must not depend on the machine that generates it.
    assert "`ROOT_URL` from the environment" in render_reference()
    assert settings.ROOT_URL not in render_reference()


def test_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    stale = tmp_path / "settings.md"
    stale.write_text("# Settings reference\n")
    monkeypatch.setattr("stmails.management.commands.settings_reference.PAGE", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("settings_reference", "--check")
    call_command("settings_reference")
    assert stale.read_text() == render_reference()
    call_command("settings_reference", "--check")
