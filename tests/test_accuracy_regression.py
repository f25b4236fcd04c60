"""Accuracy regression (slow): the built-in Burgers recipe still reaches its recorded error.

The recorded figure is the recipe's full run (all Adam and L-BFGS steps) in
`benchmarks/results/train_burgers_odd.json` (session B, plain network). The test runs every step
(`--max-time none`), so the result does not depend on the machine's load, and allows a factor
`FACTOR` above the record for seed-to-seed and platform spread (the recipe has given 3.7e-4 to
7.0e-4 over seeds 0-2 and machines). A change that breaks training accuracy lands far outside.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACTOR = 3.0


def recorded_burgers_rel_l2() -> float:
    d = json.loads((ROOT / "benchmarks" / "results" / "train_burgers_odd.json").read_text())
    return d["session_B"]["plain"]["rel_l2"]


@pytest.mark.slow
def test_burgers_recipe_reaches_its_recorded_error(tmp_path):
    """`liepinn train burgers --max-time none` on burgers_shock.mat: rel. L2 below 3x the record
    (4.4e-4 recorded, bound 1.3e-3). About 5 to 10 minutes on 2 cores."""
    bound = FACTOR * recorded_burgers_rel_l2()
    out = tmp_path / "burgers"
    cmd = [sys.executable, "-m", "liepinn.cli", "train", "burgers", "--out", str(out), "--max-time", "none",
           "--reference", str(ROOT / "tests" / "data" / "burgers_shock.mat"), "--quiet", "--no-plots"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, cwd=ROOT,
                         env=dict(os.environ, LIEPINN_TYPECHECK="0", PYTHONPATH=str(ROOT)))
    assert res.returncode == 0, res.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stopped"] is None, metrics["stopped"]
    assert metrics["rel_l2"] < bound, (metrics["rel_l2"], bound)
