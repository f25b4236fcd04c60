"""One run over several devices (liepinn.train._sharding): collocation points and IC batches
split over 4 fake CPU devices give the loss history of the unsharded run (float64)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# the device count must be set before JAX starts: a fresh interpreter
_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, jax.numpy as jnp, jax.random as jr, numpy as np
    from liepinn.experiments import Sweep
    from liepinn.problems import load_problem
    from liepinn.runs._assemble import assemble
    from liepinn.train import LBFGS, PointSharding, train, train_seeds

    assert len(jax.devices()) == 4, jax.devices()
    out = {}

    def setup(**kw):
        c = Sweep(steps=40, lbfgs_steps=0, width=8, depth=2, float64=True, cost=2.0, **kw).expand()[0]
        return assemble(load_problem(c.problem), c.spec())

    def history(res):
        return np.asarray(res.history["total"], float).tolist()

    opts = dict(steps=20, learning_rate=1e-2, dtype="float64", log_every=5)
    # one run, one initial condition: points split 4 ways, parameters replicated (Adam, L-BFGS)
    asm = setup(problems=("heat",), samples=(64,), variants=("residual",), seeds=1, n_initial=16, n_boundary=8)
    key = jr.PRNGKey(0)
    lbfgs = LBFGS(steps=5, memory=5, dtype="float64")
    ref = train(asm.loss_fn, asm.make_model(key), asm.data, key=key, second_phase=lbfgs, **opts)
    sh = train(asm.loss_fn, asm.make_model(key), asm.data, key=key, second_phase=lbfgs,
               sharding=PointSharding(), **opts)
    out["single"] = [history(ref), history(sh)]
    # operator training, seeds on a second mesh axis: 2 seeds x 2 shards of the points and of
    # the IC batch (branch inputs, IC values), against both seeds on one device
    asm = setup(problems=("heat_sines",), samples=(32,), variants=("residual",), seeds=1, n_ics=(4,),
                n_initial=8, n_boundary=0,
                options={"sensors": 8, "n_basis": 4, "eval_nx": 16, "eval_nt": 5, "n_test_ics": 2})
    keys = [jr.PRNGKey(0), jr.PRNGKey(1)]
    ref = train_seeds(asm.loss_fn, asm.make_model, asm.data, keys=keys, devices=jax.devices()[:1], **opts)
    sh = train_seeds(asm.loss_fn, asm.make_model, asm.data, keys=keys, sharding=PointSharding(seeds=2), **opts)
    out["operator"] = [history(ref), history(sh)]
    sharding = PointSharding()
    # the data really is split: each device holds a quarter of the points and of the ICs
    from liepinn.train._loop import _Run, _config, _defaults
    run = _Run(asm.loss_fn, asm.make_model(key), asm.data, key, ensemble=False,
               cfg=_config({**_defaults(), "sharding": sharding, "key": key}))
    run.init_data(None)
    run.place(None)
    shapes = {name: sorted({s.data.shape[0] for s in x.addressable_shards})
              for name, x in zip(run.data_names, run.data_leaves)}
    out["shards"] = {k: v for k, v in shapes.items() if k in ("interior", "branch", "ic_values")}
    out["n_ics"] = int(asm.data["branch"].shape[0])
    print("RESULT" + json.dumps(out))
    """
)


def _run():
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu", JAX_ENABLE_X64="1",
               XLA_FLAGS="--xla_force_host_platform_device_count=4")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    return json.loads(line[len("RESULT"):])


@pytest.fixture(scope="module")
def result():
    return _run()


def _close(a, b, rtol=1e-6):
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(b, a, rtol=rtol, atol=0)


def test_points_sharded_over_four_devices_match_one_device(result):
    ref, sharded = result["single"]
    assert len(ref) > 5
    _close(ref, sharded)


def test_seeds_and_ic_batches_on_a_two_by_two_mesh_match(result):
    ref, sharded = result["operator"]
    _close(ref, sharded)
    n_ics = result["n_ics"]
    assert result["shards"]["branch"] == [n_ics // 4] and result["shards"]["ic_values"] == [n_ics // 4]
    assert result["shards"]["interior"] == [32 // 4]


def _cli(tmp_path, name, *extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    out = tmp_path / name
    cmd = [sys.executable, "-m", "liepinn.cli", "train", "heat", "--steps", "30", "--lbfgs-steps", "5",
           "--width", "8", "--depth", "2", "--n-collocation", "256", "--float64", "--eval-nx", "16",
           "--eval-nt", "5", "--quiet", "--no-plots", "--out", str(out), *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    return proc, out


@pytest.mark.slow
def test_cli_shard_points_over_four_host_devices_matches_one_device(tmp_path):
    """`liepinn train --shard points --devices 4` creates 4 host devices, splits the points and
    gives the unsharded run's loss history (float64) and error; the layout is not a setting,
    so the two directories hold the same config."""
    import numpy as np

    from liepinn.runs._directory import read_history

    plain, a = _cli(tmp_path, "one")
    sharded, b = _cli(tmp_path, "four", "--shard", "points", "--devices", "4")
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert sharded.returncode == 0, sharded.stderr[-3000:]
    ha, hb = read_history(a / "history.csv"), read_history(b / "history.csv")
    np.testing.assert_allclose(np.asarray(hb["total"], float), np.asarray(ha["total"], float), rtol=1e-6)
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert abs(mb["rel_l2"] - ma["rel_l2"]) <= 1e-6 * abs(ma["rel_l2"])
    assert json.loads((a / "config.json").read_text())["config"] == json.loads((b / "config.json").read_text())["config"]


def test_cli_devices_beyond_what_jax_sees_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    import jax

    from liepinn.cli import main

    monkeypatch.setenv("XLA_FLAGS", os.environ.get("XLA_FLAGS", ""))  # restored afterwards
    n = len(jax.devices())  # JAX has started in this process: no host devices can be added
    code = main(["train", "heat", "--devices", str(n + 1), "--shard", "points", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert f"--devices {n + 1}: JAX sees {n}" in err and "Traceback" not in err
    assert code == 2
    assert not (tmp_path / "x").exists()
