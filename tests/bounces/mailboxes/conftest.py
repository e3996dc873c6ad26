"""A real Dovecot for the mailbox tests: one per session, one fresh user per test."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.bounces.mailboxes.dovecot import start_dovecot


@pytest.fixture(scope="session")
def dovecot_server():
    if shutil.which("dovecot") is None:
        message = (
            "dovecot is not installed (apt-get install dovecot-pop3d dovecot-imapd)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: missing services fail the run)")
        pytest.skip(message)
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def mail_user(dovecot_server):
    """A new, empty mailbox user on the shared server."""
    return dovecot_server.add_user()
