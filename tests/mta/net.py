"""Loopback ports for the MTA tests."""

from __future__ import annotations

import socket
import subprocess
import time

# Upper bound for a server to come up; it usually takes well under a second.
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_listening(port: int, process: subprocess.Popen) -> bool:
    """True once 127.0.0.1:port accepts; False when the process died or time ran out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if listening(port):
            return True
        time.sleep(0.05)
    return False
