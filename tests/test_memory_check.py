"""Too many collocation points are refused before any compute: the estimate, what is free and
a point count that fits, as a one-line error of `liepinn train` (exit 2), nothing written."""

from __future__ import annotations

import pytest

from liepinn.cli import main
from liepinn.runs import _assemble


def test_too_many_points_are_refused_with_the_estimate(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_assemble, "_available_memory", lambda: 8 * 2**30)  # this machine: 8 GiB free
    out = tmp_path / "run"
    rc = main(["train", "heat", "--n-collocation", "30000000", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "30,000,000 collocation points need about" in err and "8.0 GiB are free" in err
    fits = int(err.split("use at most about ")[1].split(" points")[0].replace(",", ""))
    assert 0 < fits < 30_000_000 and "--n-collocation" in err
    assert not out.exists()  # refused before the directory was touched
    # the suggested count passes the same check (the CLI's default recipe for heat)
    from liepinn.losses import Residual
    from liepinn.problems import load_problem
    from liepinn.runs import Recipe

    loss = Residual().interior_loss(load_problem("heat"))
    _assemble.check_memory(loss, Recipe(), fits)
    with pytest.raises(ValueError, match="need about"):
        _assemble.check_memory(loss, Recipe(), 30_000_000)

def test_the_estimate_grows_with_points_width_and_derivatives():
    from liepinn.losses import Residual
    from liepinn.problems import load_problem
    from liepinn.runs import Recipe

    heat = Residual().interior_loss(load_problem("heat"))
    kdv = Residual().interior_loss(load_problem("kdv"))
    r = Recipe()
    est = _assemble.estimate_memory
    assert est(heat, r, 2000) == 2 * est(heat, r, 1000)
    assert est(heat, r.replace(width=40), 1000) == 2 * est(heat, r, 1000)
    assert est(kdv, r, 1000) > est(heat, r, 1000)  # u_xxx: more Taylor coefficients per point
    with pytest.raises(ValueError, match="need about"):
        _assemble.check_memory(heat, r, 10**12)


def test_a_dense_second_phase_that_cannot_fit_is_refused(tmp_path, monkeypatch, capsys):
    """SSBroyden (the default recipe's second phase) keeps n x n matrices for n parameters: a
    network too wide for them is refused with the estimate and the way out (L-BFGS)."""
    from liepinn.train import LBFGS, SSBroyden

    monkeypatch.setattr(_assemble, "_available_memory", lambda: 8 * 2**30)
    out = tmp_path / "run"
    rc = main(["train", "heat", "--width", "300", "--depth", "4", "--n-collocation", "1000", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "ssbroyden second phase keeps dense" in err and "8.0 GiB are free" in err and "--second-phase lbfgs" in err
    assert not out.exists()
    n = int(err.split("dense ")[1].split(" x")[0].replace(",", ""))
    assert n > 100_000
    _assemble.check_second_phase_memory(LBFGS(steps=10), n)  # memory linear in n: passes
    _assemble.check_second_phase_memory(SSBroyden(steps=10), 3_000)  # the default 8 x 20 network
    assert SSBroyden(steps=1, dtype="float32").step_memory(n) == SSBroyden(steps=1).step_memory(n) // 2
