"""Seeds vmapped in one program versus sequential runs (Burgers PINN, small budget).

Trains ``--seeds`` seeds of the Burgers PINN of ``train_burgers.py`` (hard constraints,
``--n`` collocation points, ``--steps`` Adam steps and ``--lbfgs-steps`` L-BFGS steps)

- once with one seed (``t1``),
- sequentially, one ``train`` call per seed (``t_seq``; the first call compiles, the
  others reuse the compiled chunks),
- with ``train_seeds`` (one ``vmap``-ed program, ``t_vmap``),

each timing including its compilation, and reports ``t_vmap / t1`` and ``t_seq / t_vmap``.
Also checks that the vmapped losses match the sequential ones.

The ``warm_*`` figures repeat the three runs with everything compiled.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/vmap_seeds.py [--seeds 5 --n 500 --steps 2000 --lbfgs-steps 0 --devices 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

if "--devices" in sys.argv:  # must be set before JAX starts
    _n = sys.argv[sys.argv.index("--devices") + 1]
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={_n}"

import jax
import jax.random as jr
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_burgers import LOWER, UPPER, loss_fn, transform  # noqa: E402

from liepinn.train import _loop  # noqa: E402
from liepinn.runs import Recipe  # noqa: E402
from liepinn.train import LBFGS, train, train_seeds  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lbfgs-steps", type=int, default=0)
    ap.add_argument("--width", type=int, default=20)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--devices", type=int, default=1, help="CPU devices to expose (seeds are sharded over them)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    phase = None if args.lbfgs_steps == 0 else LBFGS(steps=args.lbfgs_steps, memory=50, dtype="float64")
    recipe = Recipe(width=args.width, depth=args.depth, n_collocation=args.n, steps=args.steps,
                    second_phase=phase, log_every=100)
    opts = {k: v for k, v in recipe.train_options().items() if k != "max_time"}
    data = recipe.collocation(LOWER, UPPER)
    make = lambda k: recipe.model(2, 1, LOWER, UPPER, transform=transform, key=k)

    def fresh():
        # forget compiled programs so every timing below includes its own compilation
        jax.clear_caches()
        for cached in (getattr(_loop, name, None) for name in ("_adam", "_lbfgs")):
            if cached is not None:  # compiled-step caches: time a cold start
                cached.cache_clear()

    fresh()
    t = time.perf_counter()
    one = train(loss_fn, make(jr.PRNGKey(0)), data, key=0, **opts)
    t1 = time.perf_counter() - t

    fresh()
    t = time.perf_counter()
    seq = [train(loss_fn, make(jr.PRNGKey(k)), data, key=k, **opts) for k in range(args.seeds)]
    t_seq = time.perf_counter() - t

    fresh()
    t = time.perf_counter()
    ens = train_seeds(loss_fn, make, data, keys=list(range(args.seeds)), **opts)
    t_vmap = time.perf_counter() - t

    # the same again, compiled: the steady-state cost
    t = time.perf_counter()
    train(loss_fn, make(jr.PRNGKey(0)), data, key=0, **opts)
    t1_warm = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(args.seeds):
        train(loss_fn, make(jr.PRNGKey(k)), data, key=k, **opts)
    t_seq_warm = time.perf_counter() - t
    t = time.perf_counter()
    train_seeds(loss_fn, make, data, keys=list(range(args.seeds)), **opts)
    t_vmap_warm = time.perf_counter() - t

    final_seq = np.array([r.history["total"][-1] for r in seq])
    final_vmap = ens.history["total"][:, -1]
    out = {
        "seeds": args.seeds, "n_collocation": args.n, "adam_steps": args.steps, "lbfgs_steps": args.lbfgs_steps,
        "net": f"{args.depth}x{args.width} tanh",
        "t_one_seed_s": t1, "t_sequential_s": t_seq, "t_vmap_s": t_vmap,
        "vmap_over_one_seed": t_vmap / t1, "sequential_over_vmap": t_seq / t_vmap,
        "warm_t_one_seed_s": t1_warm, "warm_t_sequential_s": t_seq_warm, "warm_t_vmap_s": t_vmap_warm,
        "warm_vmap_over_one_seed": t_vmap_warm / t1_warm, "warm_sequential_over_vmap": t_seq_warm / t_vmap_warm,
        "devices": len(jax.devices()),
        "final_loss_sequential": final_seq.tolist(), "final_loss_vmap": final_vmap.tolist(),
        "max_rel_diff_final_loss": float(np.max(np.abs(final_vmap - final_seq) / np.abs(final_seq))),
        "one_seed_matches_seq0": bool(np.array_equal(one.history["total"], seq[0].history["total"])),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus", "jax": jax.__version__,
    }
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
