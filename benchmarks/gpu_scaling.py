"""Device figures: memory and time per collocation point, and throughput of vmapped seeds.

Two measurements on the default JAX device (a GPU when one is present), for the Burgers
PINN of ``train_burgers.py`` (hard constraint, MultiTaylor derivatives):

1. **Per collocation point.** For each ``--points`` N and dtype (float32, float64), the
   compiled value-and-gradient of the mean squared residual of the recipe's 8 x 20 tanh
   network: XLA's own memory analysis of the compiled program (temporaries, arguments,
   outputs: `Compiled.memory_analysis()`) and the warm time of one evaluation (median of
   ``--repeats``). Memory per point is the slope of the temporaries between the two largest
   N, so fixed costs drop out.
2. **Seeds vmapped.** For each ``--seeds`` S, ``train_seeds`` with S seeds of a 4 x 20
   network on ``--n`` points, ``--steps`` Adam steps, run twice; the second (compiled) run
   is timed. Throughput is seed-steps per second; the ratio to one seed says how well one
   device absorbs more seeds.

Run:  PYTHONPATH=. python benchmarks/gpu_scaling.py --json benchmarks/results/gpu_scaling_h200.json
(small on a CPU: ``--points 1024,4096 --seeds 1,2 --steps 50``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_burgers import LOWER, UPPER, loss_fn, transform  # noqa: E402

from liepinn.runs import RECIPES, Recipe  # noqa: E402
from liepinn.train import train_seeds  # noqa: E402


def _ints(text):
    return [int(v) for v in text.split(",")]


def per_point(sizes, dtypes, repeats):
    recipe = RECIPES["burgers"]
    rows = []
    for dtype in dtypes:
        ctx = jax.enable_x64(dtype == "float64")
        with ctx:
            model = recipe.model(2, 1, LOWER, UPPER, transform=transform, key=jr.PRNGKey(0))
            model = jax.tree.map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, model)
            params, static = eqx.partition(model, eqx.is_inexact_array)

            def value_and_grad(p, pts):
                return jax.value_and_grad(lambda q: loss_fn(eqx.combine(q, static), pts)[0])(p)

            for n in sizes:
                pts = jr.uniform(jr.PRNGKey(1), (n, 2), dtype=dtype, minval=jnp.asarray(LOWER, dtype),
                                 maxval=jnp.asarray(UPPER, dtype))
                t = time.perf_counter()
                compiled = jax.jit(value_and_grad).lower(params, pts).compile()
                t_compile = time.perf_counter() - t
                mem = compiled.memory_analysis()
                jax.block_until_ready(compiled(params, pts))
                times = []
                for _ in range(repeats):
                    t = time.perf_counter()
                    jax.block_until_ready(compiled(params, pts))
                    times.append(time.perf_counter() - t)
                row = {"dtype": dtype, "n": n, "compile_s": t_compile, "step_ms": 1e3 * statistics.median(times),
                       "temp_bytes": getattr(mem, "temp_size_in_bytes", None),
                       "argument_bytes": getattr(mem, "argument_size_in_bytes", None),
                       "output_bytes": getattr(mem, "output_size_in_bytes", None)}
                row["points_per_s"] = n / (row["step_ms"] / 1e3)
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = {}
    for dtype in dtypes:
        rs = sorted((r for r in rows if r["dtype"] == dtype), key=lambda r: r["n"])
        if len(rs) >= 2 and rs[-1]["temp_bytes"] is not None:
            a, b = rs[-2], rs[-1]
            summary[dtype] = {"temp_bytes_per_point": (b["temp_bytes"] - a["temp_bytes"]) / (b["n"] - a["n"]),
                              "ms_per_million_points": b["step_ms"] / b["n"] * 1e6}
    return rows, summary


def seeds_scaling(counts, n, steps):
    recipe = Recipe(width=20, depth=4, n_collocation=n, steps=steps, second_phase=None, log_every=max(1, steps // 5))
    opts = {k: v for k, v in recipe.train_options().items() if k != "max_time"}
    data = recipe.collocation(LOWER, UPPER)
    make = lambda k: recipe.model(2, 1, LOWER, UPPER, transform=transform, key=k)
    rows = []
    for s in counts:
        t = time.perf_counter()
        train_seeds(loss_fn, make, data, keys=list(range(s)), **opts)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        res = train_seeds(loss_fn, make, data, keys=list(range(s)), **opts)
        warm = time.perf_counter() - t
        final = np.asarray(res.history["total"])[:, -1]
        row = {"seeds": s, "cold_s": cold, "warm_s": warm, "seed_steps_per_s": s * steps / warm,
               "final_loss_median": float(np.median(final)), "finite": bool(np.all(np.isfinite(final)))}
        rows.append(row)
        print(json.dumps(row), flush=True)
    one = rows[0]["seed_steps_per_s"] if rows and rows[0]["seeds"] == 1 else None
    for r in rows:
        r["throughput_over_one_seed"] = None if one is None else r["seed_steps_per_s"] / one
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=_ints, default=_ints("4096,16384,65536,262144,1048576"))
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--seeds", type=_ints, default=_ints("1,4,16,64,256"))
    ap.add_argument("--n", type=int, default=500, help="collocation points of the seeds measurement")
    ap.add_argument("--steps", type=int, default=500, help="Adam steps of the seeds measurement")
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    device = jax.devices()[0]
    out = {"device": getattr(device, "device_kind", str(device)), "platform": device.platform,
           "jax": jax.__version__, "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
           "network_per_point": "8x20 tanh (burgers recipe), value+grad of the mean squared residual",
           "network_seeds": f"4x20 tanh, {args.n} points, {args.steps} Adam steps"}
    out["per_point"], out["per_point_summary"] = per_point(args.points, args.dtypes.split(","), args.repeats)
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats:
        out["peak_bytes_in_use"] = stats.get("peak_bytes_in_use")
    out["seeds"] = seeds_scaling(args.seeds, args.n, args.steps)
    print(json.dumps({k: out[k] for k in ("device", "per_point_summary")}, indent=1))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f, indent=1)
        os.replace(tmp, args.json)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
