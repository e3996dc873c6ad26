"""Finds every app's settings keys: `<app>/settings_keys.py`, one per app.

Called once from StmailsConfig.ready(), when every app is loaded: it imports
that module of each installed app that has one (as the admin finds admin.py),
so a new app's keys need no line anywhere else.
"""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

MODULE = "settings_keys"


def discover_settings_keys() -> None:
    autodiscover_modules(MODULE)
