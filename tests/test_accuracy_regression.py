"""Accuracy regression (slow): the built-in recipes still reach their recorded errors (Burgers:
its recipe; KdV, Allen-Cahn, NLS: the default recipe, rows of the accuracy table).

The recorded figure is the recipe's full run (8,192 points, 1,000 Adam and 4,000 SSBroyden
steps) in `benchmarks/results/train_burgers_cli.json` (`cpu_ssbroyden_8192`). The test runs every step
(`--max-time none`), so the result does not depend on the machine's load, and allows a factor
`FACTOR` above the record for seed-to-seed and platform spread (seeds 0-2 of the recipe:
benchmarks/README.md, "Choosing the collocation on a held-out residual"). A change that breaks training accuracy lands far outside.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACTOR = 3.0


def train_all_steps(out: Path, problem: str, data_file: str, *options: str) -> dict:
    """`liepinn train PROBLEM --max-time none` against tests/data/DATA_FILE in a fresh process;
    its metrics.json, after checking that every step ran."""
    cmd = [sys.executable, "-m", "liepinn.cli", "train", problem, "--out", str(out), "--max-time", "none",
           *options, "--reference", str(ROOT / "tests" / "data" / data_file), "--quiet", "--no-plots"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, cwd=ROOT,
                         env=dict(os.environ, LIEPINN_TYPECHECK="0", PYTHONPATH=str(ROOT)))
    assert res.returncode == 0, res.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stopped"] is None, metrics["stopped"]
    return metrics


def recorded_burgers_rel_l2() -> float:
    d = json.loads((ROOT / "benchmarks" / "results" / "train_burgers_cli.json").read_text())
    return d["cpu_ssbroyden_8192"]["rel_l2"]


@pytest.mark.slow
def test_burgers_recipe_reaches_its_recorded_error(tmp_path):
    """`liepinn train burgers --max-time none` on burgers_shock.mat: rel. L2 below 3x the record
    (1.5e-6 recorded, bound 4.6e-6). About 8 minutes on 2 unshared cores."""
    bound = FACTOR * recorded_burgers_rel_l2()
    metrics = train_all_steps(tmp_path / "burgers", "burgers", "burgers_shock.mat")
    assert metrics["rel_l2"] < bound, (metrics["rel_l2"], bound)


def recorded_accuracy_row(problem: str) -> dict:
    return json.loads((ROOT / "benchmarks" / "results" / "accuracy.json").read_text())["runs"][problem]


DATA = {"kdv": "KdV.mat", "allen_cahn": "AC.mat", "nls": "NLS.mat"}


@pytest.mark.slow
@pytest.mark.parametrize("problem", sorted(DATA))
def test_default_recipe_reaches_its_recorded_error(tmp_path, problem):
    """The default recipe (Adam + SSBroyden, float64) on KdV, Allen-Cahn and NLS: rel. L2 on the
    data file's grid below 3x the row of `benchmarks/results/accuracy.json`. Those rows were
    stopped by a 900 s cap on a shared machine; the test runs exactly the steps the row did
    (`--steps`, `--lbfgs-steps` from the row, `--max-time none`), so its result does not depend
    on the load. About 10-15 minutes each on 2 cores."""
    row = recorded_accuracy_row(problem)
    assert row["second_phase"] == "ssbroyden", row["second_phase"]
    bound = FACTOR * row["rel_l2"]
    metrics = train_all_steps(tmp_path / problem, problem, DATA[problem],
                              "--steps", str(row["adam_steps"]), "--lbfgs-steps", str(row["lbfgs_steps"]))
    assert metrics["rel_l2"] < bound, (metrics["rel_l2"], bound)
