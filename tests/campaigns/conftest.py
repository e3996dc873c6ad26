"""Campaign test fixtures: transactional mail (tests/campaigns/test_tx_*.py) and
the shipped templates."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps

import campaigns.migrations
from campaigns.models import Template
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers


@pytest.fixture
def tx_sink():
    """A real SMTP sink on loopback that refuses gone@example.com at RCPT TO."""
    sink = Sink()
    sink.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: No such user"
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


@pytest.fixture
def make_tx_template(db):
    def make(body="<p>Hi</p>", subject="Hello", *, type="tx", name="Tx"):  # noqa: A002 (the model's field)
        return Template.objects.create(name=name, type=type, subject=subject, body=body)

    return make


@pytest.fixture
def post_tx(api_client, django_capture_on_commit_callbacks):
    """POST /api/tx as JSON (a dict) or as a multipart form (form=...); the
    outbox's sends run on commit, as a worker would run them (send=False:
    the rows stay queued)."""

    def post(body=None, *, form=None, send=True, **extra):
        with django_capture_on_commit_callbacks(execute=send):
            if form is not None:
                return api_client.post("/api/tx", data=form, **extra)
            return api_client.post(
                "/api/tx", data=json.dumps(body), content_type="application/json"
            )

    return post


@pytest.fixture
def shipped_templates(db):
    """The templates the data migration ships. A transactional test elsewhere
    flushes every table (migration rows too), so they are put back when gone."""

    if not Template.objects.exists():
        # Found by name: migrations are renumbered when branches merge.
        folder = Path(campaigns.migrations.__file__).parent
        (path,) = folder.glob("*_template_defaults.py")
        migration = importlib.import_module(f"campaigns.migrations.{path.stem}")
        migration.add_defaults(apps, None)
    return list(Template.objects.all())
