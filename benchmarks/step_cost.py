"""Cost of one training step: plain PINN vs liepinn residual vs liepinn + symmetry terms.

Setup (Raissi et al.'s Burgers PINN): u_t + u u_x - (0.01/pi) u_xx = 0 on [-1, 1] x [0, 1],
u(x, 0) = -sin(pi x), u(+-1, t) = 0; 10,000 collocation + 256 initial + 200 boundary points
(fixed, drawn once); MLP 2 -> 4 x 50 tanh -> 1 seeing inputs scaled to [-1, 1]; float32; an Adam
step (value_and_grad + optax update) jitted, `--steps` steps inside one `lax.scan`; each variant
timed `--repeats` times, median, reported in ms per step.

Variants (same network, points, optimiser, IC/BC terms; only the interior loss differs):
  (a) plain:         nested `jax.grad` per point + `vmap`, written here the obvious way;
  (b) residual:      `liepinn.losses.PINNLoss(pde)` (residual only);
  (c) evolutionary:  residual + the five Burgers generators in evolutionary form
                     L_Delta[Q] = pr v(Delta) - xi^i D_i Delta (order 3, one shared derivative set);
  (d) prolonged:     residual + the five generators in prolonged form pr v(Delta) (order 2);
  (e), (f) profile:  the step with the interior loss replaced by the plain mean squares of the
                     derivative set of (b) (order 2) and of (c) (order 3): f/e is what the
                     derivative engine alone makes c/b cost; c/b - f/e is the losses' own share.
Generators come from `liepinn.symmetries(pde)`; terms are normalised by coefficient size.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/step_cost.py [--steps 10] [--repeats 7]
Writes benchmarks/results/step_cost.json. Ratios are taken within one run (the CPU is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from liepinn import PDE, symmetries
from liepinn import derivatives as _engine
from liepinn.derivatives import DEFAULT_STRATEGY, Box, derivatives
from liepinn.losses import PINNLoss, dirichlet_loss

NU = 0.01 / np.pi
LO, HI = (-1.0, 0.0), (1.0, 1.0)


def problem(key, n_col=10_000, n_ic=256, n_bc=200):
    k1, k2, k3 = jax.random.split(key, 3)
    lo, hi = jnp.array(LO, jnp.float32), jnp.array(HI, jnp.float32)
    col = lo + (hi - lo) * jax.random.uniform(k1, (n_col, 2), jnp.float32)
    x0 = jax.random.uniform(k2, (n_ic,), jnp.float32, -1.0, 1.0)
    ic = jnp.stack([x0, jnp.zeros_like(x0)], 1)
    tb = jax.random.uniform(k3, (n_bc,), jnp.float32)
    xb = jnp.where(jnp.arange(n_bc) % 2 == 0, -1.0, 1.0).astype(jnp.float32)
    bc = jnp.stack([xb, tb], 1)
    return {"col": col, "ic": ic, "ic_u": -jnp.sin(jnp.pi * x0), "bc": bc, "bc_u": jnp.zeros(n_bc, jnp.float32)}


# -- (a) the obvious PINN ---------------------------------------------------------------------


def plain_loss(model, data):
    lo, hi = jnp.array(LO, jnp.float32), jnp.array(HI, jnp.float32)

    def u(xt):
        return model(2 * (xt - lo) / (hi - lo) - 1)[0]

    def residual(xt):
        u_x, u_t = jax.grad(u)(xt)
        u_xx = jax.grad(lambda p: jax.grad(u)(p)[0])(xt)[0]
        return u_t + u(xt) * u_x - NU * u_xx

    res = jnp.mean(jax.vmap(residual)(data["col"]) ** 2)
    ic = jnp.mean((jax.vmap(u)(data["ic"]) - data["ic_u"]) ** 2)
    bc = jnp.mean((jax.vmap(u)(data["bc"]) - data["bc_u"]) ** 2)
    return res + ic + bc


# -- (b)-(d) liepinn ---------------------------------------------------------------------------


def liepinn_loss(interior: PINNLoss, box: Box):
    def loss(model, data):
        total, _ = interior(model, data["col"])
        ic = dirichlet_loss(model, data["ic"], data["ic_u"], box=box)
        bc = dirichlet_loss(model, data["bc"], data["bc_u"], box=box)
        return total + ic + bc

    return loss


ORDER2 = ((0, (0, 0)), (0, (1, 0)), (0, (0, 1)), (0, (2, 0)))
ORDER3 = ORDER2 + ((0, (1, 1)), (0, (0, 2)), (0, (3, 0)), (0, (2, 1)))


def derivative_loss(requests, box: Box, strategy):
    """Profile: the same step with the interior loss replaced by the mean squares of the raw
    derivative set (no residual algebra): what the derivative engine alone costs."""

    def loss(model, data):
        d = derivatives(model, data["col"], requests, strategy=strategy, scaling=box)
        ic = dirichlet_loss(model, data["ic"], data["ic_u"], box=box)
        bc = dirichlet_loss(model, data["bc"], data["bc_u"], box=box)
        return sum(jnp.mean(v**2) for v in d.values()) + ic + bc

    return loss


def make_runner(loss, model, steps: int, lr: float = 1e-3):
    opt = optax.adam(lr)
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def step(carry, _):
        params, state, data = carry
        value, grads = jax.value_and_grad(lambda p: loss(eqx.combine(p, static), data))(params)
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state, data), value

    @jax.jit
    def run(params, state, data):
        (params, state, _), values = jax.lax.scan(step, (params, state, data), None, length=steps)
        return params, state, values

    return run, params, opt.init(params)


def time_variants(losses: dict, model, data, steps, repeats) -> dict:
    """Compile every variant, then time them round-robin (a b c d a b c d ...) so that load
    changes on a shared machine hit all variants alike; median over repeats."""
    runs, out = {}, {}
    for k, loss in losses.items():
        run, params, state = make_runner(loss, model, steps)
        t0 = time.perf_counter()
        jax.block_until_ready(run(params, state, data))
        runs[k] = (run, params, state)
        out[k] = {"compile_s": time.perf_counter() - t0, "all_ms_per_step": []}
    for _ in range(repeats):
        for k, (run, params, state) in runs.items():
            t0 = time.perf_counter()
            res = jax.block_until_ready(run(params, state, data))
            out[k]["all_ms_per_step"].append(1e3 * (time.perf_counter() - t0) / steps)
            out[k]["last_loss"] = float(res[2][-1])
    for r in out.values():
        r["ms_per_step"] = statistics.median(r["all_ms_per_step"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="Adam steps per compiled scan")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--n-collocation", type=int, default=10_000)
    ap.add_argument("--only", default="a,b,c,d,e,f", help="variants to run, e.g. a,b")
    ap.add_argument("--strategy", default=None,
                    help="liepinn derivative strategy class (default: liepinn's DEFAULT_STRATEGY)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "step_cost.json"))
    args = ap.parse_args(argv)

    pde = PDE.from_text("u_t + u*u_x - nu*u_xx = 0", independent="x,t", dependent="u",
                        parameters={"nu": "0.01/pi"})
    generators = symmetries(pde).basis
    box = Box(LO, HI)
    strategy = DEFAULT_STRATEGY if args.strategy is None else getattr(_engine, args.strategy)()
    model = eqx.nn.MLP(2, 1, 50, 4, activation=jnp.tanh, key=jax.random.key(0))
    data = problem(jax.random.key(1), n_col=args.n_collocation)

    variants = {
        "a": ("plain nested jax.grad + vmap", plain_loss),
        "b": ("liepinn residual", liepinn_loss(PINNLoss(pde, box=box, strategy=strategy), box)),
        "c": ("liepinn residual + 5 evolutionary", liepinn_loss(
            PINNLoss(pde, generators, form="evolutionary", box=box, strategy=strategy), box)),
        "d": ("liepinn residual + 5 prolonged", liepinn_loss(
            PINNLoss(pde, generators, form="prolonged", box=box, strategy=strategy), box)),
        "e": ("profile: derivative set of (b), order 2", derivative_loss(ORDER2, box, strategy)),
        "f": ("profile: derivative set of (c), order 3", derivative_loss(ORDER3, box, strategy)),
    }
    chosen = args.only.split(",")
    timed = time_variants({k: variants[k][1] for k in chosen}, model, data, args.steps, args.repeats)
    results = {}
    for k in chosen:
        r = results[k] = {"name": variants[k][0], **timed[k]}
        print(f"({k}) {r['name']:38s} {r['ms_per_step']:8.2f} ms/step   (compile {r['compile_s']:.1f} s, "
              f"loss {r['last_loss']:.4g})", flush=True)

    ratios = {}
    for num, den in (("b", "a"), ("c", "b"), ("d", "b"), ("f", "e")):
        if num in results and den in results:
            ratios[f"{num}/{den}"] = results[num]["ms_per_step"] / results[den]["ms_per_step"]
    for key, val in ratios.items():
        print(f"{key} = {val:.2f}")
    targets = {"b/a": 0.5, "c/b": 2.0}
    record = {
        "setup": {"pde": "u_t + u*u_x - nu*u_xx, nu = 0.01/pi", "n_collocation": args.n_collocation,
                  "n_initial": 256, "n_boundary": 200, "mlp": "2 -> 4 x 50 tanh -> 1", "dtype": "float32",
                  "optimiser": "adam 1e-3", "steps_per_scan": args.steps, "repeats": args.repeats,
                  "derivative_strategy": type(strategy).__name__},
        "results": results, "ratios": ratios, "targets": targets,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "jax": jax.__version__,
                    "devices": [str(d) for d in jax.devices()]},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
