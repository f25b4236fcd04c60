"""Burgers accuracy benchmark (Raissi et al. 2019 setup) for the training recipe.

    u_t + u u_x - (0.01/pi) u_xx = 0,  x in [-1, 1], t in [0, 0.99],
    u(x, 0) = -sin(pi x),  u(+-1, t) = 0.

Hard constraint u = -sin(pi x) + t (1 - x^2) N(x, t) satisfies the initial and boundary
conditions exactly, so the loss is the mean squared residual on the collocation points.
The error is the relative L2 error on the 256 x 100 grid of burgers_shock.mat.

Run (the recorded figures in benchmarks/README.md come from this command):
    PYTHONPATH=. .venv/bin/python benchmarks/train_burgers.py [--steps 1000 --lbfgs-steps 5000 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import scipy.io

from liepinn._train_recipe import RECIPES, Recipe
from liepinn.derivatives import Forward, NestedReverse, Taylor, derivatives

NU = 0.01 / np.pi
LOWER, UPPER = (-1.0, 0.0), (1.0, 0.99)
REFERENCE = os.environ.get("LIEPINN_BURGERS_MAT", "/work/shared/reference/burgers_shock.mat")
_REQ = [(0, (0, 0)), (0, (1, 0)), (0, (2, 0)), (0, (0, 1))]
# Measured (float64, 8 x 20 tanh, N = 4096, value_and_grad, CPU time under load): Forward
# 66 ms, Taylor 84 ms, a hand-written per-point nested jvp 65 ms: Forward for this network.
STRATEGIES = {"forward": Forward(), "taylor": Taylor(), "reverse": NestedReverse()}
STRATEGY = STRATEGIES["forward"]


def transform(z, n):
    """u = -sin(pi x) + t (1 - x^2) N(x, t): the IC and the zero Dirichlet BCs hold exactly."""
    x, t = z[0], z[1]
    return -jnp.sin(jnp.pi * x) + t * (1 - x**2) * n


def residual(model, points):
    d = derivatives(model, points, _REQ, strategy=STRATEGY)
    u, ux, uxx, ut = d[_REQ[0]], d[_REQ[1]], d[_REQ[2]], d[_REQ[3]]
    return ut + u * ux - NU * uxx


def loss_fn(model, points):
    r = residual(model, points)
    res = jnp.mean(r**2)
    return res, {"residual": res}


def load_reference(path=REFERENCE):
    d = scipy.io.loadmat(path)
    x, t, u = d["x"][:, 0], d["t"][:, 0], d["usol"]
    X, T = np.meshgrid(x, t, indexing="ij")
    return np.stack([X.ravel(), T.ravel()], 1), u


def rel_l2(model, grid, usol):
    with jax.enable_x64(True):
        pred = np.asarray(jax.jit(jax.vmap(model))(jnp.asarray(grid)))[:, 0].reshape(usol.shape)
    return float(np.linalg.norm(pred - usol) / np.linalg.norm(usol))


def run(recipe: Recipe, seed: int = 0, progress: bool = False, verbose: bool = True):
    key = jr.PRNGKey(seed)
    grid, usol = load_reference()
    model = recipe.model(2, 1, LOWER, UPPER, transform=transform, key=key)
    data = recipe.collocation(LOWER, UPPER, residual=residual)
    errors = []

    def callback(step, phase, m, terms):
        if step % 1000 == 0 or phase == "lbfgs" and step % 500 == 0:
            errors.append((step, rel_l2(m, grid, usol), time.perf_counter() - t0, time.process_time() - c0))
            if verbose:
                print(f"step {step:6d} {phase:5s} loss {terms['total']:.3e} rel_l2 {errors[-1][1]:.3e} "
                      f"wall {errors[-1][2]:.0f}s cpu {errors[-1][3]:.0f}s", flush=True)

    t0 = time.perf_counter()
    c0 = time.process_time()
    result = recipe.train(loss_fn, model, data, key=key, progress=progress, callback=callback)
    cpu = time.process_time() - c0
    err = rel_l2(result.model, grid, usol)
    return result, err, errors, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", default="burgers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the result here")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--strategy", choices=sorted(STRATEGIES), default="forward")
    for f in Recipe.__dataclass_fields__.values():
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool",):
            ap.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=None)
        elif f.type in ("int",):
            ap.add_argument(flag, type=int, default=None)
        elif f.type in ("float",):
            ap.add_argument(flag, type=float, default=None)
        elif f.type in ("int | None",):
            ap.add_argument(flag, type=int, default=None)
        elif f.type in ("float | None",):
            ap.add_argument(flag, type=float, default=None)
        else:
            ap.add_argument(flag, default=None)
    args = ap.parse_args(argv)
    global STRATEGY
    STRATEGY = STRATEGIES[args.strategy]
    changes = {f: getattr(args, f) for f in Recipe.__dataclass_fields__ if getattr(args, f) is not None}
    if changes.get("refinement") == "none":
        changes["refinement"] = None
    recipe = RECIPES[args.recipe].replace(**changes)
    print("recipe:", json.dumps(recipe.to_json()), flush=True)
    result, err, errors, cpu = run(recipe, args.seed, progress=args.progress)
    out = {
        "rel_l2": err,
        "wall_time_s": result.wall_time,
        "cpu_time_s": cpu,
        "adam_steps": result.steps,
        "lbfgs_steps": result.lbfgs_steps,
        "final_loss": float(result.history["total"][-1]),
        "converged": bool(result.converged),
        "stopped": result.stopped,
        "seed": args.seed,
        "recipe": recipe.to_json(),
        "trace": errors,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "jax": jax.__version__,
    }
    print(json.dumps({k: v for k, v in out.items() if k not in ("trace", "recipe")}), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
