"""A 2-D run without an exact solution is evaluated against the 2-D diffrax reference: a few
steps through `liepinn.fit` (fast), and the acceptance run of `liepinn train allen_cahn2d`
(slow); `liepinn reference` on a 2-D problem."""

import numpy as np
import pytest

from liepinn import load_entry
from liepinn.reference import solve_reference


def test_a_2d_run_without_exact_is_evaluated_against_the_reference(tmp_path):
    """assemble: allen_cahn2d has no exact solution; a few training steps, then the evaluation
    uses the 2-D diffrax reference on the evaluation grid (cached in the run directory)."""
    import liepinn
    from liepinn.runs import Recipe, RunSpec
    from liepinn.runs._assemble import References

    problem = load_entry("allen_cahn2d").problem
    spec = RunSpec(problem="allen_cahn2d", eval_nx=8, eval_nt=3,
                   recipe=Recipe(width=8, depth=2, n_collocation=64, steps=5, second_phase=None, log_every=5))
    run = liepinn.fit(problem, spec, out=tmp_path / "run", progress=False, plots=False)
    assert run.metrics["reference"]["kind"] == "diffrax" and np.isfinite(run.metrics["rel_l2"])
    assert len(list((tmp_path / "run").glob("ref-allen_cahn2d-*.npz"))) == 1
    x, t, u, info = run.assembly.reference(References(tmp_path / "run"))  # read back from the cache
    assert info["kind"] == "diffrax" and isinstance(x, tuple) and u.shape == (1, 8, 8, 3)
    want = solve_reference(problem, x_eval=x, t_eval=t)["u"]
    np.testing.assert_allclose(u[0], want, atol=1e-9)


@pytest.mark.slow
def test_allen_cahn2d_trains_against_the_2d_reference(tmp_path):
    """The acceptance run of benchmarks/README.md ("References and training in two space
    dimensions"): `liepinn train allen_cahn2d` with a small budget, evaluated against the 2-D
    diffrax reference (measured rel. L2 1.1e-3, 58 s of training on 2 cores)."""
    import json
    import os
    import subprocess
    import sys

    out = tmp_path / "ac2d"
    cmd = [sys.executable, "-m", "liepinn.cli", "train", "allen_cahn2d", "--width", "32", "--depth", "4",
           "--n-collocation", "2000", "--steps", "1000", "--second-phase", "lbfgs", "--lbfgs-memory", "50",
           "--lbfgs-steps", "500", "--eval-nx", "32",
           "--eval-nt", "11", "--quiet", "--no-plots", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, LIEPINN_TYPECHECK="0"))
    assert res.returncode == 0, res.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["reference"]["kind"] == "diffrax"
    assert metrics["rel_l2"] < 5e-3, metrics["rel_l2"]


def test_the_reference_command_in_2d(tmp_path, capsys):
    from liepinn.cli import main
    from liepinn.reference import Reference

    out = tmp_path / "ac2d.npz"
    assert main(["reference", "allen_cahn2d", "--nx", "8", "--nt", "3", "--resolution", "32", "--no-progress",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "tensor n=32" in printed and "[8 x 8 x 3]" in printed
    ref = Reference.load(out)
    assert ref.dim == 2 and ref["u"].shape == (8, 8, 3) and ref.settings["discretisation"]["kind"] == "tensor"
    imex = tmp_path / "ac2d_imex.npz"  # IMEX in 2-D: the diffusion implicit, the same solution
    assert main(["reference", "allen_cahn2d", "--nx", "8", "--nt", "3", "--resolution", "32", "--no-progress",
                 "--solver", "kencarp5", "--out", str(imex)]) == 0
    imex_ref = Reference.load(imex)
    assert imex_ref.settings["imex"] and imex_ref.settings["solver"] == "KenCarp5"
    np.testing.assert_allclose(imex_ref["u"], ref["u"], atol=1e-6)
