r"""Progress and cost of a reference solve: an estimate of the time left from the first steps.

A diffrax progress meter calls back to the host every `REFRESH_STEPS` steps with the fraction
$p = (t - t_0)/(t_1 - t_0)$ of the time span done. After `PROBE_SECONDS` of solving (compilation
excluded: the clock starts at the first step), the time left is estimated from the rate over the
last half of the elapsed time, $(1 - p) / (\Delta p / \Delta t_\mathrm{wall})$, so the short
steps of an initial transient do not dominate it. When the estimated total exceeds
`warn_after` seconds a `SlowReferenceWarning` names the cost, the reason and the alternatives.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

REFRESH_STEPS = 20  # solver steps between host callbacks
PROBE_SECONDS = 2.0  # solving time before the first estimate
DISPLAY_EVERY = 0.5  # seconds between progress updates on a terminal
LOG_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal (logs)
WARN_AFTER = 180.0  # default: warn when a solve will take longer than this (seconds)


class SlowReferenceWarning(UserWarning):
    """A reference solve is estimated to take longer than `warn_after` seconds."""


def _duration(s: float) -> str:
    if not math.isfinite(s):
        return "forever (no progress in t)"
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} days"


class SolveProgress:
    """Host side of one solve: records (wall time, fraction done, steps), prints progress lines
    when `display`, and warns once when the estimated total exceeds `warn_after` seconds."""

    def __init__(self, label: str, *, display: bool = False, warn_after: float | None = WARN_AFTER,
                 advice: str = "", stream: Any = None, clock: Callable[[], float] = time.perf_counter):
        if warn_after is not None and not warn_after > 0:
            raise ValueError(f"warn_after must be > 0 seconds or None, got {warn_after!r}")
        self.label, self.display, self.warn_after, self.advice = label, display, warn_after, advice
        self.stream = stream
        self.clock = clock
        self.records: list[tuple[float, float, int]] = []
        self.started: float | None = None
        self.first_estimate: float | None = None  # estimated total seconds at the first estimate
        self.warned = False
        self._shown = -math.inf

    def _out(self, text: str, end: str = "") -> None:
        stream = self.stream or sys.stderr
        if not getattr(stream, "isatty", lambda: False)():  # a log: whole lines, no carriage returns
            text, end = text.lstrip("\r").rstrip(), "\n"
            if not text:
                return
        stream.write(text + end)
        stream.flush()

    def _tty(self) -> bool:
        return bool(getattr(self.stream or sys.stderr, "isatty", lambda: False)())

    def begin(self) -> None:
        if self.display:
            self._out(f"\r{self.label}: compiling")

    def remaining(self) -> float | None:
        """Estimated seconds left (None before `PROBE_SECONDS` of solving or without progress)."""
        if len(self.records) < 2 or self.started is None:
            return None
        now, p, _ = self.records[-1]
        elapsed = now - self.started
        if elapsed < PROBE_SECONDS and p < 0.05:
            return None
        w0, p0, _ = next(r for r in self.records if r[0] >= now - elapsed / 2 or r is self.records[-2])
        if now <= w0:
            return None
        rate = (p - p0) / (now - w0)
        return (1 - p) / rate if rate > 0 else math.inf

    def step(self, progress: float, steps: int) -> None:
        now = self.clock()
        if self.started is None:
            self.started = now
        self.records.append((now, float(progress), int(steps)))
        left = self.remaining()
        elapsed = now - self.started
        if left is not None and self.first_estimate is None:
            self.first_estimate = elapsed + left
        if (left is not None and self.warn_after is not None and not self.warned
                and elapsed + left > self.warn_after):
            self.warned = True
            if self.display:
                self._out("", end="\n")  # the warning on its own line, not inside the progress line
            warnings.warn_explicit(SlowReferenceWarning(
                f"{self.label}: this reference will take about {_duration(elapsed + left)} "
                f"({100 * progress:.2g} % of the time span in {_duration(elapsed)}, {steps} steps so far). "
                + self.advice), SlowReferenceWarning,
                # raised from a solver callback: no user frame to point at
                filename="solve_reference", lineno=0, module=__name__)
        if self.display and now - self._shown >= (DISPLAY_EVERY if self._tty() else LOG_EVERY):
            self._shown = now
            tail = f", about {_duration(left)} left" if left is not None else ""
            self._out(f"\r{self.label}: {100 * progress:5.1f} % of t, {steps} steps, {elapsed:.0f} s{tail}   ")

    def close(self, steps: int) -> None:
        if self.display and self.started is not None:
            self._out(f"\r{self.label}: done, {steps} steps in {self.clock() - self.started:.1f} s"
                      + " " * 20, end="\n")

    def summary(self) -> dict:
        """For the reference's settings: the first estimate of the total solve time (seconds)."""
        return {"estimated_seconds": self.first_estimate}


_ACTIVE: list[SolveProgress] = []  # the solve in progress (callbacks of a cached compiled solve find it here)


@contextlib.contextmanager
def tracking(progress: SolveProgress):
    """Route the meter's callbacks to `progress` while the block runs."""
    _ACTIVE.append(progress)
    progress.begin()
    try:
        yield progress
    finally:
        _ACTIVE.remove(progress)


def _host_step(progress, step) -> None:
    if _ACTIVE:
        _ACTIVE[-1].step(float(progress), int(step))


def _host_close(step) -> None:
    if _ACTIVE:
        _ACTIVE[-1].close(int(step))


@functools.cache
def meter_class():
    """The diffrax progress meter that reports to the active `SolveProgress` (diffrax imported lazily)."""
    import diffrax as dfx
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    class EstimatingProgressMeter(dfx.AbstractProgressMeter):
        """Calls back every `refresh_steps` steps with (fraction of the time span done, steps)."""

        refresh_steps: int = eqx.field(static=True, default=REFRESH_STEPS)

        def init(self):
            return jnp.array(0, jnp.int32)

        def step(self, state, progress):
            def report():
                jax.debug.callback(_host_step, progress, state)

            jax.lax.cond(state % self.refresh_steps == 0, report, lambda: None)
            return state + 1

        def close(self, state):
            jax.debug.callback(_host_close, state)

    return EstimatingProgressMeter
