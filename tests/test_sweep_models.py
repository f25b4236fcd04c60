"""Sweeps keep their trained models: stored beside each run file (checksummed, never
overwritten), reloaded with `liepinn.experiments.load_model` in a fresh process, and older
stores (without models) still read and resume."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from liepinn.experiments import CorruptRunError, ResultStore, Sweep, load_model, run_sweep

USER_2D = Path(__file__).parent / "data" / "user_problems" / "heat2d_dirichlet.py"
TINY = dict(samples=(32,), seeds=2, variants=("residual",), steps=10, lbfgs_steps=0, width=8, depth=1,
            n_initial=16, n_boundary=8, options={"eval_nx": 16, "eval_nt": 5, "log_every": 5})


def _fresh(code: str) -> list[str]:
    env = dict(os.environ, LIEPINN_TYPECHECK="0")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


@pytest.mark.slow
def test_a_sweep_keeps_its_models_and_a_fresh_process_reloads_them(tmp_path):
    """Each stored run names its model file (SHA-256, size, dtypes); in a new process the reloaded
    model gives the stored rel. L2 again on the evaluation grid, for a catalogue problem and for a
    user's own 2-D problem (passed as `problem=`)."""
    from liepinn.experiments import register_problem

    user = runpy.run_path(str(USER_2D))["problem"]
    register_problem(user)
    heat = run_sweep(Sweep(problems=("heat",), **TINY), tmp_path / "heat", progress=None)
    mine = run_sweep(Sweep(problems=(user.name,), **dict(TINY, seeds=1)), tmp_path / "mine", progress=None)
    for outcome in (heat, mine):
        for rec in outcome.records:
            info = rec.result["model_file"]
            path = Path(outcome.directory) / info["path"]
            assert path.stat().st_size == info["bytes"] and path.name.startswith(rec.key)
            assert path.parent.name == "models" and info["dtypes"]
    code = f"""
import runpy, numpy as np
from liepinn.experiments import ResultStore, load_model
from liepinn.runs._assemble import References, rel_l2
user = runpy.run_path({str(USER_2D)!r})['problem']
for d, problem in (({str(tmp_path / 'heat')!r}, None), ({str(tmp_path / 'mine')!r}, user)):
    for rec in ResultStore(d).records():
        run = load_model(d, rec.key, problem=problem)
        x, t, ref, _ = run.assembly.reference(References(None))
        print(rec.key, repr(rel_l2(run.predict(x, t), ref)), repr(rec.rel_l2))
"""
    lines = _fresh(code)
    assert len(lines) == 3 * 3
    for key, now, stored in zip(lines[::3], lines[1::3], lines[2::3]):
        assert float(now) == pytest.approx(float(stored), rel=1e-6), key


def test_a_stored_model_reloads_in_a_fresh_process_is_checked_and_never_overwritten(tmp_path):
    outcome = run_sweep(Sweep(problems=("heat",), **dict(TINY, seeds=1)), tmp_path, progress=None)
    (rec,) = outcome.records
    code = (f"from liepinn.experiments import load_model; r = load_model({str(tmp_path)!r}, {rec.key!r}); "
            "print(repr(float(r.at([[0.3, 0.5]])[0, 0])))")
    (value,) = _fresh(code)
    run = load_model(tmp_path, f"{rec.key}.json")  # the run file's name works too
    pts = np.array([[0.0, 0.5], [0.5, 0.5]])
    assert run.at(pts).shape == (1, 2) and run.metrics["rel_l2"] == rec.rel_l2
    assert float(value) == float(run.at([[0.3, 0.5]])[0, 0])
    store = ResultStore(tmp_path)
    with pytest.raises(FileExistsError, match="already stored"):
        store.write(rec.config, {"rel_l2": 1.0, "wall_time_s": 0.0, "converged": True}, model=run.model)
    path = store.model_path(rec.result["model_file"])
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptRunError, match="does not match the SHA-256"):
        load_model(tmp_path, rec.key)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="model file .* is missing"):
        load_model(tmp_path, rec.key)
    with pytest.raises(FileNotFoundError, match="no run 'nope'"):
        load_model(tmp_path, "nope")
    with pytest.raises(ValueError, match="trained problem 'heat', not 'my_heat2d'"):
        load_model(tmp_path, rec, problem=runpy.run_path(str(USER_2D))["problem"])


def test_a_store_written_before_models_were_kept_reads_resumes_and_says_so(tmp_path):
    """The committed examples/results/heat_weights (no models): same keys, nothing retrained on
    resume, and `load_model` says why there is no model."""
    stored = Path(__file__).parents[1] / "examples" / "results" / "heat_weights"
    shutil.copytree(stored / "runs", tmp_path / "runs")
    records = ResultStore(tmp_path).records()
    assert all("model_file" not in r.result for r in records)

    def runner(configs):
        raise AssertionError("a stored run was retrained")

    outcome = run_sweep([r.config for r in records], tmp_path, runner=runner, progress=None)
    assert outcome.trained == 0 and outcome.skipped == len(records) == 39
    assert sorted(p.name for p in (tmp_path / "runs").glob("*.json")) == sorted(
        p.name for p in (stored / "runs").glob("*.json"))
    with pytest.raises(ValueError, match="stored before sweeps kept their models"):
        load_model(tmp_path, records[0].key)
    for p in (tmp_path / "runs").glob("*.json"):  # byte for byte as committed
        assert json.loads(p.read_text()) == json.loads((stored / "runs" / p.name).read_text())


@pytest.mark.slow
def test_an_ic_conditioned_sweep_run_reloads_its_deeponet(tmp_path):
    """heat_sines (a family of ICs): the reloaded DeepONet gives the stored test-IC and
    out-of-distribution errors again."""
    from liepinn.runs._assemble import References

    sweep = Sweep(problems=("heat_sines",), samples=(16,), n_ics=(2,), seeds=1, variants=("residual",), steps=10,
                  lbfgs_steps=0, width=8, depth=1, n_initial=8, n_boundary=0,
                  options={"eval_nx": 16, "eval_nt": 5, "n_test_ics": 1, "sensors": 8, "n_basis": 4, "log_every": 5})
    (rec,) = run_sweep(sweep, tmp_path, progress=None).records
    run = load_model(tmp_path, rec.key)
    errors, fields = run.assembly.evaluate(lambda k: run.model, 1, References(None))
    assert errors[0] == rec.rel_l2 and fields[0]["ood"] == rec.result["rel_l2_fields"]["ood"]
