"""Real Postfix and Exim on loopback, their DSNs delivered into a real Dovecot."""

from __future__ import annotations

import os
import pwd
import shutil

import pytest

from stmails.config import update_settings
from tests.bounces.conftest import set_actions
from tests.bounces.mailboxes.conftest import dovecot_server  # noqa: F401 (fixture)
from tests.mta import topology
from tests.mta.exim import EXIM, EXIM_USER


def require_mtas() -> None:
    """Skip when Postfix or the unpacked Exim is missing; fail under CI=true."""
    missing = []
    if shutil.which("postfix") is None:
        missing.append("postfix (apt-get install postfix)")
    if not os.access(EXIM, os.X_OK):
        missing.append(f"exim at {EXIM} (see .ci/run)")
    try:
        pwd.getpwnam(EXIM_USER)
    except KeyError:
        missing.append(f"the {EXIM_USER} user (see .ci/run)")
    if os.geteuid() != 0:
        missing.append("root (the MTAs switch users)")
    if not missing:
        return
    message = "MTA tests need " + ", ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: missing services fail the run)")
    pytest.skip(message)


@pytest.fixture
def bounces_on(db):
    update_settings({"bounce.enabled": True})
    return set_actions


@pytest.fixture(
    params=[topology.postfix_to_exim, topology.exim_to_postfix],
    ids=["postfix-relay-exim-mx", "exim-relay-postfix-mx"],
)
def mta_setup(request):
    require_mtas()  # before Dovecot starts: a skip costs nothing
    dovecot = request.getfixturevalue("dovecot_server")
    setup = request.param(dovecot.add_user())
    yield setup
    setup.stop()
