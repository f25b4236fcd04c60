"""Time limits for symbolic work that can run away (sympy's `dsolve`, `integrate`, ...)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time


_REPEAT = 0.25  # seconds between repeated alarms once a deadline has passed


class OutOfTime(Exception):
    """Raised inside a `deadline` block when its time is up."""


@contextlib.contextmanager
def deadline(seconds: float | None):
    """Raise `OutOfTime` after `seconds` (None or 0: no limit; main thread on POSIX, elsewhere
    no limit).

    Nests inside an outer deadline (e.g. the CLI's --timeout): when that fires first its own
    handler runs; otherwise it is re-armed with the time it had left.
    """
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    if 0 < outer <= seconds:
        yield
        return

    active = [True]

    def handler(signum, frame):
        if active[0]:
            raise OutOfTime()

    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, handler)
    # The alarm repeats: an OutOfTime raised where Python swallows it (a finaliser run by the
    # garbage collector, a library's broad `except`) is raised again a moment later.
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    try:
        yield
    finally:
        try:
            active[0] = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))
