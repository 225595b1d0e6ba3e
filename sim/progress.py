"""What the package says while it works: progress of long jobs and log lines, all through ``logging``.

Every message goes to a logger under ``sim`` (``sim.progress`` for progress,
``sim.overrides`` for overrides, ``sim.cli`` for the commands' warnings and
notes), so a notebook can silence or capture them with the standard
``logging`` calls; the package installs no handler of its own unless asked
(``log_to_stderr``, which the command line calls: ``--quiet`` keeps warnings
only, ``--verbose`` adds a line per finished job).

Progress (``progress``) is shown only when ``sim.progress`` is enabled for
INFO: on a terminal as a bar (tqdm, left on screen when done); elsewhere (stderr piped
to a file, a notebook) as plain lines, one at each tenth of the jobs and at
least every ``LINE_SECONDS`` seconds while jobs finish.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time

LOGGER = "sim"
log = logging.getLogger(f"{LOGGER}.progress")
LINE_SECONDS = 5.0  # longest quiet spell between progress lines while jobs finish
LEVELS = {"quiet": logging.WARNING, "normal": logging.INFO, "verbose": logging.DEBUG}


class ProgressLines:
    """Progress as log lines: ``label: done/total runs (p %), t s`` at each tenth and every few seconds."""

    def __init__(self, total: int, label: str, clock=time.monotonic):
        self.total, self.label, self.clock = total, label, clock
        self.done = 0
        self.started = self.last_line = clock()
        self.last_tenth = 0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        tenth = self.done * 10 // self.total
        if log.isEnabledFor(logging.DEBUG) or tenth > self.last_tenth or now - self.last_line >= LINE_SECONDS:
            log.info("%s: %d/%d runs (%d %%), %.0f s", self.label, self.done, self.total,
                     100 * self.done // self.total, now - self.started)
            self.last_tenth, self.last_line = tenth, now

    def close(self) -> None:
        """Nothing to remove: the last tenth has printed its line."""


def _terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def progress(total: int, label: str | None):
    """A progress reporter (``update(n)``, ``close()``) for ``total`` jobs, or None when nothing is to be shown."""
    if not label or total <= 1 or not log.isEnabledFor(logging.INFO):
        return None
    if _terminal() and not log.isEnabledFor(logging.DEBUG):
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency
            return ProgressLines(total, label)
        return tqdm(total=total, desc=label, unit="run", file=sys.stderr)  # left on screen when done
    return ProgressLines(total, label)


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a record comes (a test may replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ sets it; the current stderr is always used
        pass


_installed: logging.Handler | None = None


def log_to_stderr(level: int | str = logging.INFO, propagate: bool = False) -> None:
    """Send the package's messages at ``level`` and above to standard error, one plain line each.

    ``level``: a ``logging`` level or "quiet" (warnings only), "normal"
    (progress too), "verbose" (a line per finished job). ``propagate``: also
    hand them on to the root logger's handlers (off: a notebook that has its
    own would print each twice). Calling it again replaces the previous setting.
    """
    global _installed
    logger = logging.getLogger(LOGGER)
    if _installed is not None:
        logger.removeHandler(_installed)
    _installed = _CurrentStderr()
    _installed.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_installed)
    logger.setLevel(LEVELS.get(level, level) if isinstance(level, str) else level)
    logger.propagate = propagate


@contextlib.contextmanager
def logging_to_stderr(level: int | str = logging.INFO):
    """``log_to_stderr`` for the duration of a command; the previous state comes back after.

    Records still reach the root logger (a command line has no handler there; a test's capture does).
    """
    global _installed
    logger = logging.getLogger(LOGGER)
    before = (logger.level, logger.propagate, _installed)
    if _installed is not None:
        logger.removeHandler(_installed)
        _installed = None
    log_to_stderr(level, propagate=True)
    try:
        yield
    finally:
        logger.removeHandler(_installed)
        logger.setLevel(before[0])
        logger.propagate = before[1]
        _installed = before[2]
        if _installed is not None:
            logger.addHandler(_installed)
