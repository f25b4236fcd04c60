"""One progress line for a whole sweep: runs stored, running, failed, left, and the time left.

The counts are read from the results directory (stored runs, live claims), so they include
the work of every other worker sharing it; the estimate divides the runs still to do by the
rate at which runs were stored since this sweep started.
"""

from __future__ import annotations

import math
import time


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class SweepMeter:
    """Formats the sweep's state: ``[stored 12/36 | running 6 | failed 0 | left 18 | ETA 4m10s]``."""

    def __init__(self, total: int, stored: int, *, clock=time.monotonic):
        self.total = total
        self.start_stored = stored
        self.clock = clock
        self.t0 = clock()
        self.stored = stored
        self.running = 0
        self.failed = 0

    def update(self, *, stored: int, running: int, failed: int) -> None:
        self.stored, self.running, self.failed = stored, running, failed

    @property
    def left(self) -> int:
        return max(0, self.total - self.stored - self.failed)

    def eta(self) -> float:
        """Seconds left at the rate runs were stored since the start (nan before the first)."""
        done = self.stored - self.start_stored
        if self.left == 0:
            return 0.0
        if done <= 0:
            return math.nan
        return self.left * (self.clock() - self.t0) / done

    def __str__(self) -> str:
        return (f"[stored {self.stored}/{self.total} | running {self.running} | failed {self.failed} | "
                f"left {self.left} | ETA {_duration(self.eta())}]")


__all__ = ["SweepMeter"]
