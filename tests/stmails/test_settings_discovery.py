"""Each app declares its settings keys in one module, found automatically."""

import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from stmails.config import REGISTRY, Key, as_bool, register

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_with_keys_has_exactly_one_keys_module():
    for app in ("stmails", "subscribers", "campaigns", "bounces", "webhooks"):
        found = sorted(
            str(p.relative_to(ROOT))
            for p in (ROOT / app).rglob("*settings_keys*.py")
            if "migrations" not in p.parts
        )
        assert found == [f"{app}/settings_keys.py"]


def test_the_keys_modules_are_found_from_installed_apps():
    for config in apps.get_app_configs():
        if (Path(config.path) / "settings_keys.py").exists():
            assert f"{config.name}.settings_keys" in sys.modules


def test_a_key_cannot_be_declared_twice():
    before = REGISTRY["app.site_name"]
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        register(Key("app.site_name", "", as_bool))
    assert REGISTRY["app.site_name"] is before
