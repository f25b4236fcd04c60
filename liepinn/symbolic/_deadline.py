"""Time limits for symbolic work that can run away (sympy's `dsolve`, `integrate`, ...)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time


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

    def handler(signum, frame):
        raise OutOfTime()

    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))
