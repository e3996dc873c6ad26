"""What the tests' real servers (Dovecot, Postfix, Exim) share: reading the end
of their logs for a failure message, and stopping their process."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path


def log_tail(paths: Iterable[Path], chars: int) -> str:
    """The last `chars` characters of each log that exists, in order."""
    return "".join(
        path.read_text(errors="replace")[-chars:] for path in paths if path.exists()
    )


def stop_process(
    process: subprocess.Popen | None,
    timeout: float,
    ask: Callable[[], object] | None = None,
) -> None:
    """Ask a running server to stop (`ask`, else SIGTERM); kill it after `timeout` s."""
    if process is None or process.poll() is not None:
        return
    (ask or process.terminate)()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
