"""Choosing the Burgers recipe's collocation without looking at the reference solution.

Issue 17, item 6 ("honest recipe selection"): the arms below differ only in the collocation
(number of points; RAD resampling inside the second phase, which restarts SSBroyden's
inverse-Hessian approximation). Each run records, every 500 steps,

- the training loss (mean squared residual on the collocation points),
- the **held-out residual**: mean squared residual on 65,536 uniform points drawn once from a
  fixed seed that no training run uses (the selection criterion),
- the rel. L2 error on the 256 x 100 grid of burgers_shock.mat (recorded, NOT used to choose),
- wall time, process CPU time and the 1-minute load average (the machine is shared).

Run (one arm, one seed; appends to the JSON under the key ARM/seed):

    nice -n 5 env PYTHONPATH=. .venv/bin/python benchmarks/burgers_selection.py \
        --arm n8192 --seed 0 [--json benchmarks/results/burgers_selection.json]
    PYTHONPATH=. .venv/bin/python benchmarks/burgers_selection.py --summary
    PYTHONPATH=. .venv/bin/python benchmarks/burgers_selection.py --gap DIR   # a saved CLI run
    nice -n 5 env PYTHONPATH=. .venv/bin/python benchmarks/burgers_selection.py --cost  # s per step

Each arm runs to the recipe's total step count (``--max-time none``: the step count, not
the load, decides where it stops). ``--summary`` prints, per arm and step, the median over
seeds of the held-out residual (and, for the record, of the error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_burgers as tb  # noqa: E402

from liepinn.runs import RECIPES  # noqa: E402
from liepinn.train._sampling import Uniform  # noqa: E402

HELD_OUT_N = 65_536
HELD_OUT_SEED = 987_654_321  # no training run draws from this seed
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "burgers_selection.json")

# the recipe as it stood when the selection ran (4,096 points, RAD at 500 and 1000, 1,000 Adam +
# SSBroyden(4,000), float64); every arm sets its collocation explicitly, so the arms stay what
# they were when RECIPES["burgers"] changes
_BASE = RECIPES["burgers"]


def _phase(**kw):
    return _BASE.second_phase.replace(steps=4000, **kw)


ARMS = {
    "n4096": dict(n_collocation=4096, refine_every=500, second_phase=_phase()),
    "n8192": dict(n_collocation=8192, refine_every=500, second_phase=_phase()),
    "n16384": dict(n_collocation=16384, refine_every=500, second_phase=_phase()),
    # RAD every 1000 steps through the second phase (restarting H at each refinement)
    "n4096_rad1000": dict(n_collocation=4096, refine_every=1000, second_phase=_phase(resample=True)),
    "n8192_rad1000": dict(n_collocation=8192, refine_every=1000, second_phase=_phase(resample=True)),
}


_residual = eqx.filter_jit(tb.residual)


def held_out_points():
    return Uniform().sample(HELD_OUT_N, tb.LOWER, tb.UPPER, key=HELD_OUT_SEED, dtype=jnp.float64)


def held_out_residual(model, points) -> float:
    """Mean squared PDE residual on the held-out points (float64)."""
    with jax.enable_x64(True):
        m = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64) if isinstance(a, jax.Array)
                                   and jnp.issubdtype(a.dtype, jnp.floating) else a, model)
        r = np.concatenate([np.asarray(_residual(m, points[i:i + 16384])) for i in range(0, len(points), 16384)])
    return float(np.mean(r.astype(np.float64) ** 2))


def run(arm: str, seed: int, every: int = 500) -> dict:
    recipe = _BASE.replace(max_time=None, **ARMS[arm])
    key = jr.PRNGKey(seed)
    grid, usol = tb.load_reference()
    with jax.enable_x64(True):
        pts = held_out_points()
    model = recipe.model(2, 1, tb.LOWER, tb.UPPER, transform=tb.transform, key=key)
    data = recipe.collocation(tb.LOWER, tb.UPPER, residual=tb.residual)
    trace = []
    overhead = [0.0, 0.0]  # wall, cpu spent in this callback (subtracted from the times)

    def callback(step, phase, m, terms):
        if step % every:
            return
        w0, c0_ = time.perf_counter(), time.process_time()
        row = dict(step=int(step), phase=phase, loss=float(terms["total"]),
                   held_out_residual=held_out_residual(m, pts), rel_l2=tb.rel_l2(m, grid, usol),
                   wall_s=w0 - t0 - overhead[0], cpu_s=c0_ - c0 - overhead[1], load1=os.getloadavg()[0])
        trace.append(row)
        print(json.dumps(row), flush=True)
        overhead[0] += time.perf_counter() - w0
        overhead[1] += time.process_time() - c0_

    t0, c0 = time.perf_counter(), time.process_time()
    result = recipe.train(tb.loss_fn, model, data, key=key, callback=callback)
    wall, cpu = time.perf_counter() - t0 - overhead[0], time.process_time() - c0 - overhead[1]
    return dict(arm=arm, seed=seed, changes={k: (v.to_json() if hasattr(v, "to_json") else v)
                                              for k, v in ARMS[arm].items()},
                recipe=recipe.to_json(), rel_l2=tb.rel_l2(result.model, grid, usol),
                held_out_residual=held_out_residual(result.model, pts),
                final_loss=float(result.history["total"][-1]), wall_s=wall, cpu_s=cpu,
                steps=result.steps + result.lbfgs_steps, load1_end=os.getloadavg()[0],
                held_out=dict(n=HELD_OUT_N, sampler="Uniform", seed=HELD_OUT_SEED), trace=trace,
                jax=jax.__version__, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def gap(directory: str) -> dict:
    """Training loss against the held-out residual of a saved run (``liepinn train burgers --out DIR``),
    split at the front (|x| < 0.05) where the solution is steep; with the run's wall and CPU time
    and, when a ``DIR.load`` log sits beside it, the load averages during the run."""
    from liepinn.runs import load_run

    with jax.enable_x64(True):
        run_ = load_run(directory)
        m = run_.model_for(0)
        pts = held_out_points()
        r2 = np.asarray(_residual(m, pts), np.float64) ** 2
        front = np.abs(np.asarray(pts)[:, 0]) < 0.05
        grid, usol = tb.load_reference()
        return dict(run=directory, recipe=run_.spec.recipe.to_json(), seed=int(run_.seeds[0]),
                    final_loss=float(run_.metrics["final"]["total"]),
                    steps=[int(run_.metrics["steps_done"]), int(run_.metrics["lbfgs_steps_done"])],
                    held_out_residual=float(r2.mean()), held_out_front=float(r2[front].mean()),
                    held_out_off_front=float(r2[~front].mean()), front_fraction=float(front.mean()),
                    rel_l2=tb.rel_l2(m, grid, usol), wall_s=run_.metrics.get("wall_time_s"),
                    cpu_s=run_.metrics.get("cpu_time_s"), load1=_loads(directory))


def _loads(directory: str) -> list[float] | None:
    """The 1-minute load averages that /tmp-style ``DIR.load`` logs (``HH:MM:SS l1 l5 l15 ...``) hold."""
    path = os.path.normpath(directory) + ".load"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [float(line.split()[1]) for line in f if line.strip()]


def step_cost(sizes=(4096, 8192, 16384), short=20, long=120) -> dict:
    """CPU and wall seconds per second-phase (SSBroyden) step at each number of points: two runs
    of ``short`` and ``long`` steps from the same start (one Adam step, no refinement), the
    difference divided by ``long - short``, after a first run that compiles everything (so
    compilation does not enter, and set-up cancels)."""
    out = {}
    for n in sizes:
        recipe = _BASE.replace(n_collocation=n, refinement=None, steps=1, max_time=None, log_every=10)
        times = {}
        for k in (long, short, long):  # the first run compiles every chunk length; the next two are timed
            key = jr.PRNGKey(0)
            model = recipe.model(2, 1, tb.LOWER, tb.UPPER, transform=tb.transform, key=key)
            data = recipe.collocation(tb.LOWER, tb.UPPER)
            w, c = time.perf_counter(), time.process_time()
            recipe.train(tb.loss_fn, model, data, key=key, second_phase=recipe.second_phase.replace(steps=k))
            times[k] = (time.perf_counter() - w, time.process_time() - c)
        out[str(n)] = dict(wall_s_per_step=(times[long][0] - times[short][0]) / (long - short),
                           cpu_s_per_step=(times[long][1] - times[short][1]) / (long - short),
                           load1=os.getloadavg()[0])
        print(n, json.dumps(out[str(n)]), flush=True)
    return dict(steps=[short, long], sizes=out, jax=jax.__version__,
                time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def _write(path, key, entry):
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data[key] = entry
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def summary(path) -> str:
    with open(path) as f:
        data = json.load(f)
    by_arm: dict[str, list] = {}
    for e in data.values():
        if "arm" not in e:
            continue
        by_arm.setdefault(e["arm"], []).append(e)
    lines = ["arm | seeds | step | median held-out residual | median loss | median rel. L2 (not used) | "
             "CPU s/step (2nd phase)"]
    for arm, es in by_arm.items():
        steps = sorted({r["step"] for e in es for r in e["trace"]})
        for s in steps:
            rows = [r for e in es for r in e["trace"] if r["step"] == s]
            if len(rows) < len(es):
                continue
            med = lambda k: float(np.median([r[k] for r in rows]))  # noqa: E731
            lines.append(f"{arm} | {len(es)} | {s} | {med('held_out_residual'):.2e} | {med('loss'):.2e} | "
                         f"{med('rel_l2'):.2e} |")
        per = [(e["trace"][-1]["cpu_s"] - e["trace"][2]["cpu_s"]) / (e["trace"][-1]["step"] - e["trace"][2]["step"])
               for e in es if len(e["trace"]) > 3]
        lines[-1] += f" {np.median(per):.3f}" if per else ""
        lines.append(f"{arm} per seed: " + ", ".join(
            f"s{e['seed']} held-out {e['held_out_residual']:.1e} L2 {e['rel_l2']:.2e} cpu {e['cpu_s']:.0f}s "
            f"wall {e['wall_s']:.0f}s load {e['load1_end']:.1f}" for e in sorted(es, key=lambda e: e["seed"])))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arm", choices=sorted(ARMS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=RESULTS)
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--cost", action="store_true", help="seconds per second-phase step at 4k/8k/16k points")
    ap.add_argument("--gap", metavar="DIR", help="held-out residual of a saved run, stored under gap/DIR")
    args = ap.parse_args(argv)
    if args.summary:
        print(summary(args.json))
        return
    if args.cost:
        _write(args.json, "cost", step_cost())
        return
    if args.gap:
        entry = gap(args.gap)
        _write(args.json, f"gap/{os.path.basename(os.path.normpath(args.gap))}", entry)
        print(json.dumps({k: v for k, v in entry.items() if k != "recipe"}))
        return
    if args.arm is None:
        ap.error("--arm is required (or --summary)")
    entry = run(args.arm, args.seed)
    _write(args.json, f"{args.arm}/{args.seed}", entry)
    print(json.dumps({k: v for k, v in entry.items() if k not in ("trace", "recipe")}))


if __name__ == "__main__":
    main(sys.argv[1:])
