"""Signals turned into exceptions, and sections a signal must not cut in half.

The command line installs one handler for SIGINT, SIGTERM and SIGHUP
(``install``): SIGINT raises ``KeyboardInterrupt``, SIGTERM and SIGHUP raise
``Terminated`` (exit status 128 + the signal's number: 130, 143, 129).
Inside ``deferred()`` a signal is held and raised when the outermost section
ends: the start-up imports (an exception raised inside a C extension's import
becomes an ImportError), a pair of renames, the clean-up of a temporary folder.
Python runs signal handlers in the main thread only, so holding them there
holds them for the whole process.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; ``status`` is the exit status (143, 129)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def status(self) -> int:
        return 128 + self.signum


_depth = 0
_pending: list[int] = []


def exception_for(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _handler(signum, frame):
    if _depth:
        _pending.append(signum)
        return
    raise exception_for(signum)


def install() -> dict:
    """Handle SIGINT, SIGTERM and SIGHUP with ``_handler``; returns the previous handlers for ``restore``."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, _handler) for s in SIGNALS}


def restore(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def deferred():
    """Hold signals (those handled by ``install``) until the outermost ``deferred`` block ends, then raise."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _pending:
            signum = _pending[0]
            _pending.clear()
            raise exception_for(signum)
