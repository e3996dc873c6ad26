"""Campaign test fixtures."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps

import campaigns.migrations


@pytest.fixture
def shipped_templates(db):
    """The templates the data migration ships. A transactional test elsewhere
    flushes every table (migration rows too), so they are put back when gone."""
    from campaigns.models import Template

    if not Template.objects.exists():
        # Found by name: migrations are renumbered when branches merge.
        folder = Path(campaigns.migrations.__file__).parent
        (path,) = folder.glob("*_template_defaults.py")
        migration = importlib.import_module(f"campaigns.migrations.{path.stem}")
        migration.add_defaults(apps, None)
    return list(Template.objects.all())
