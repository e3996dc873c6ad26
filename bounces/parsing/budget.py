"""A CPU time budget for parsing one message, which really interrupts a stuck parse.

Why a signal: a message is parsed inside a Celery prefork worker (each task
runs on the child process's main thread) or inside a management command or a
test, also on the main thread. There, `setitimer(ITIMER_PROF)` counts the
process's CPU time (so a busy machine does not make a message over budget) and
delivers SIGPROF when the budget is spent; the handler raises OverBudget in the
middle of whatever Python (or a regex: CPython's matcher checks for signals)
was doing. The timer keeps firing every few milliseconds after that, so even
code that swallows the first exception is interrupted again.

Off the main thread (a threaded pool, a web request) signals cannot be used:
there the budget is cooperative, `check_budget()` compares the thread's CPU
time with the deadline, and the parser calls it inside its loops. Since every
pattern in bounces/parsing is linear and bounded, that is enough there.

A subprocess per message was rejected: forking costs more than parsing a
typical bounce (~0.5 ms) and would double a scan's time.

OverBudget derives from BaseException so `except Exception` in the parser or
the standard library does not turn it into an ordinary parse error.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
# After the first SIGPROF, fire again this often until the budget is left.
_REPEAT_SECONDS = 0.01
_state = threading.local()


class OverBudget(BaseException):  # noqa: N818 - it is a signal, not an error
    """The parse used up its CPU time budget."""

    def __init__(self, seconds: float):
        super().__init__(f"over the parse time budget ({seconds:g} s of CPU)")
        self.seconds = seconds


def check_budget() -> None:
    """Raise OverBudget when the cooperative deadline of this thread has passed."""
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.thread_time() > deadline:
        _state.deadline = None
        raise OverBudget(_state.seconds)


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Run the block with at most `seconds` of CPU time, else raise OverBudget."""
    if getattr(_state, "active", False):
        yield  # nested: the outer budget already holds
        return
    _state.active, _state.seconds = True, seconds
    use_signal = threading.current_thread() is threading.main_thread() and hasattr(
        signal, "setitimer"
    )
    try:
        if use_signal:
            with _signal_deadline(seconds):
                yield
        else:
            _state.deadline = time.thread_time() + seconds
            yield
    finally:
        _state.active, _state.deadline = False, None


def run_within_budget(seconds: float, func: Callable[..., T], *args: object) -> T:
    with cpu_budget(seconds):
        return func(*args)


@contextmanager
def _signal_deadline(seconds: float) -> Iterator[None]:
    armed = True

    def on_sigprof(signum: int, frame: object) -> None:
        if armed:
            raise OverBudget(seconds)

    previous = signal.signal(signal.SIGPROF, on_sigprof)
    old_timer = signal.setitimer(signal.ITIMER_PROF, seconds, _REPEAT_SECONDS)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_PROF, *old_timer)
        # None: the old handler was not set from Python; the timer is off by now.
        signal.signal(signal.SIGPROF, signal.SIG_DFL if previous is None else previous)
