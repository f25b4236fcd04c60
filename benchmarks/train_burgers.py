"""Burgers accuracy benchmark (Raissi et al. 2019 setup) for the training recipe.

    u_t + u u_x - (0.01/pi) u_xx = 0,  x in [-1, 1], t in [0, 0.99],
    u(x, 0) = -sin(pi x),  u(+-1, t) = 0.

Hard constraint u = -sin(pi x) + t (1 - x^2) N(x, t) satisfies the initial and boundary
conditions exactly, so the loss is the mean squared residual on the collocation points.
The error is the relative L2 error on the 256 x 100 grid of burgers_shock.mat. The recipe
is ``liepinn.runs.RECIPES["burgers"]``; any field can be overridden from the command line
(``--width 32 --depth 6 --lbfgs-steps 12000 --max-time 3000 ...``).

Run:
    PYTHONPATH=. .venv/bin/python benchmarks/train_burgers.py [--seed 0] [--json out.json]

Measured on this project's machine (2 shared cores, jax 0.10.2; "load" is the load average
from other jobs; times include compilation; error traces every 500 steps in the JSON):

- Obvious setup for scale (soft IC/BC terms not tried here; hard constraint, 10,000 Sobol
  points, no RAD, 1000 Adam + L-BFGS float64): 1.6e-3 after 3,000 steps, 6.5e-4 after 5,000
  (prototype, ~340 s).
- Recipe (8 x 20 tanh, 4,096 Sobol points + RAD at steps 500 and 1000, 1000 Adam float32 +
  L-BFGS float64, memory 50), rel. L2 after 10,000 steps: seed 0 7.0e-4 (186 s, quiet
  machine; 6.0e-4 with the Forward strategy, 516 s at load 3-5), seed 1 4.3e-4, seed 2
  3.7e-4 (Forward strategy, ~1,150 s at load ~10 with two runs at once); seed 0 continued:
  6.5e-4 at 12,000 steps.
- Variants, seed 0: 6,144 points: 5.6e-4 at 10,000 and 3.1e-4 at 13,600 steps (stopped by
  max_time at 571 s, load ~5); seed 1: 8.1e-4 at 10,000. 8,192 points: no better per step,
  twice the cost. RAD every 1,000 steps through L-BFGS (restarting it): better early
  (1.2e-3 at 6,000), worse late (1.5e-3 at 8,000). Dense BFGS instead of L-BFGS: the same
  error per iteration (4.1e-3 after 1,000), dearer per iteration. Adam 2,000 steps at 2e-3
  with RAD every 500: no gain. 6 x 32 tanh: 4.2e-4 at 10,000, 2.9e-4 at 12,000 steps.
- Derivative strategy (value_and_grad of the loss, float64, N = 4096, 8 x 20, one core):
  MultiTaylor 41 ms, Forward 58 ms, Taylor 75 ms, NestedReverse 78 ms.
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

from liepinn.runs import RECIPES, Recipe
from liepinn.derivatives import Forward, MultiTaylor, NestedReverse, Taylor, derivatives

NU = 0.01 / np.pi
LOWER, UPPER = (-1.0, 0.0), (1.0, 0.99)
REFERENCE = os.environ.get("LIEPINN_BURGERS_MAT", "/work/shared/reference/burgers_shock.mat")
_REQ = [(0, (0, 0)), (0, (1, 0)), (0, (2, 0)), (0, (0, 1))]
# value_and_grad of the mean squared residual, float64, 8 x 20 tanh, N = 4096, one core:
# MultiTaylor 38-41 ms, Forward 57-60 ms, Taylor 75 ms, NestedReverse 77-79 ms.
STRATEGIES = {"multitaylor": MultiTaylor(fallback=None), "forward": Forward(), "taylor": Taylor(),
              "reverse": NestedReverse()}
STRATEGY = STRATEGIES["multitaylor"]


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
    ap.add_argument("--strategy", choices=sorted(STRATEGIES), default="multitaylor")
    ap.add_argument("--second-phase", default=None, help="lbfgs, bfgs, ssbfgs or ssbroyden")
    ap.add_argument("--lbfgs-steps", type=int, default=None, help="steps of the second phase")
    for f in Recipe.__dataclass_fields__.values():
        flag = "--" + f.name.replace("_", "-")
        if f.name == "second_phase":
            continue
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
    changes = {f: getattr(args, f) for f in Recipe.__dataclass_fields__
               if f != "second_phase" and getattr(args, f) is not None}
    phase = RECIPES[args.recipe].second_phase
    if args.second_phase is not None or args.lbfgs_steps is not None:
        from liepinn.train._optimisers import second_phase_from_name

        common = {k: getattr(phase, k) for k in ("steps", "dtype", "resample", "linesearch_steps")}
        if args.lbfgs_steps is not None:
            common["steps"] = args.lbfgs_steps
        changes["second_phase"] = second_phase_from_name(args.second_phase or phase.name, **common)
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
