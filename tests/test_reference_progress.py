"""The cost of a reference solve: estimate from the first steps, progress lines, slow warning."""

import io
import warnings

import pytest

from liepinn.problems import load_entry
from liepinn.reference import solve_reference
from liepinn.reference import _progress
from liepinn.reference._progress import SlowReferenceWarning, SolveProgress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def feed(meter, clock, samples):
    for wall, p, steps in samples:
        clock.now = wall
        meter.step(p, steps)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_estimate_from_the_recent_rate_and_a_warning_with_alternatives():
    clock, out = Clock(), Terminal()
    meter = SolveProgress("kdv_dirichlet: Chebyshev n=256, Kvaerno5", display=True, warn_after=180.0,
                          advice="Alternatives: a periodic domain.", stream=out, clock=clock)
    # a fast transient, then 1e-4 of the time span per second: about 1e4 s in all
    samples = [(0.0, 0.0, 0), (0.1, 0.01, 20), (0.2, 0.0102, 40)]
    samples += [(0.2 + k, 0.0102 + 1e-4 * k, 40 + 20 * k) for k in range(1, 6)]
    with pytest.warns(SlowReferenceWarning, match=r"about 2.7 h .*Alternatives: a periodic domain") as rec:
        feed(meter, clock, samples)
    assert len(rec) == 1  # once per solve
    left = meter.remaining()
    assert 9000 < left < 11000, left  # from the recent rate, not the transient's
    assert "% of t" in out.getvalue() and "left" in out.getvalue()
    feed(meter, clock, [(7.0, 0.0108, 160)])  # no second warning
    meter.close(160)
    assert out.getvalue().rstrip().endswith("in 7.0 s")
    assert meter.summary()["estimated_seconds"] == pytest.approx(meter.first_estimate)
    # in a log (not a terminal): whole lines, at most one per LOG_EVERY seconds, no carriage returns
    log = io.StringIO()
    quiet = SolveProgress("heat", display=True, warn_after=None, stream=log, clock=clock)
    quiet.begin()
    feed(quiet, clock, [(k, k / 100, k) for k in range(30)])
    quiet.close(30)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and lines[0] == "heat: compiling" and lines[-1].startswith("heat: done")
    assert len(lines) == 2 + 3  # at 0, 10 and 20 s


def test_no_estimate_before_the_probe_and_no_warning_for_fast_solves():
    clock = Clock()
    meter = SolveProgress("heat", warn_after=180.0, clock=clock)
    feed(meter, clock, [(0.0, 0.0, 0), (0.5, 0.01, 20)])
    assert meter.remaining() is None  # under PROBE_SECONDS and under 5 %
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feed(meter, clock, [(1.0, 0.4, 40), (2.5, 0.9, 60)])
    assert meter.remaining() == pytest.approx(0.3, rel=0.2)
    with pytest.raises(ValueError, match="warn_after must be > 0"):
        SolveProgress("x", warn_after=0)


def test_solve_reports_progress_and_warns_when_slow(capsys, monkeypatch):
    problem = load_entry("heat").problem
    ref = solve_reference(problem, nx=16, nt=5, resolution=32, progress=True)
    err = capsys.readouterr().err
    assert "heat: Fourier n=32, Tsit5: compiling" in err and "done," in err
    assert "estimated_seconds" in ref.settings["attempts"][0]
    # the same solve against a tiny budget: the warning names the reason and the alternatives
    monkeypatch.setattr(_progress, "PROBE_SECONDS", 0.0)
    with pytest.warns(SlowReferenceWarning, match="Why: .*Alternatives: .*exact solution"):
        solve_reference(problem, nx=16, nt=5, resolution=32, warn_after=1e-9)
    with pytest.raises(ValueError, match="warn_after"):
        solve_reference(problem, nx=16, nt=5, resolution=32, warn_after=-1)
