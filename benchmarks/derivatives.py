"""Which derivative strategy is fastest for a PINN's needs?

Setup (Raissi et al.'s Burgers PINN): MLP 2 -> 4 x 50 tanh -> 1, float32, N = 10,000 points in
[-1, 1] x [0, 1] seen through a `Box`, everything inside `jax.jit`. Two derivative sets:

- order 2 (residual u_t + u u_x - nu u_xx): u, u_x, u_t, u_xx;
- order 3 (residual and its total derivatives D_x, D_t, as the evolutionary symmetry terms
  need): u, u_x, u_t, u_xx, u_xt, u_tt, u_xxx, u_xxt.

Two timings per strategy and set: `values` (the derivatives alone) and `value_and_grad` (the
mean of their squares differentiated w.r.t. the network parameters: what a training step pays).
Median over repeats, milliseconds per call.

Besides the three public strategies, two Taylor variants answer design questions:
`Taylor/one-box` computes the order-3 set from a single nested stream jet_t^2(jet_x^3) instead
of the planned jvp_t(jet_x^3) + jet_t^2; `Taylor/pointwise` applies the jets to one point at a
time under vmap instead of to the batched model.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/derivatives.py [--n 10000] [--repeats 7] [--json out.json]

Results on this project's CPU machine (2 shared cores; jax 0.10.2; see the note at the bottom of
the output for the machine the figures came from): recorded in `RESULTS` below.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp

from liepinn.derivatives import Box, Forward, MultiTaylor, NestedReverse, Taylor, derivatives
from liepinn._derivatives import _leq, _join

ORDER2 = ((0, 0), (1, 0), (0, 1), (2, 0))
ORDER3 = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1))

# Filled in from a run of this script (see the module docstring); ms per call.
RESULTS = """(not yet recorded)"""


class _OneBoxTaylor(Taylor):
    """Taylor with all requested multi-indices in one box (the join of all of them)."""

    def _corners(self, wanted):
        corner = tuple(0 for _ in next(iter(wanted)))
        for alpha in wanted:
            corner = _join(corner, alpha)
        return (corner,)


class _PointwiseTaylor(Taylor):
    """Taylor applied per point (shape (1, p)) and vmapped over the batch."""

    def evaluate(self, model, z, requests):
        one = lambda zi: Taylor.evaluate(self, model, zi[None], requests)
        return {k: v[:, 0] for k, v in jax.vmap(one)(z).items()}


STRATEGIES = {
    "NestedReverse": NestedReverse(),
    "Forward": Forward(),
    "Taylor": Taylor(),
    "Taylor/one-box": _OneBoxTaylor(),
    "Taylor/pointwise": _PointwiseTaylor(),
    "MultiTaylor": MultiTaylor(fallback=None),
}


def _time_interleaved(fns: dict, args, rounds: int) -> dict[str, list[float]]:
    """Time compiled functions in turns (one call each per round), so that a change in the
    machine's load during the run hits all of them alike."""
    for fn in fns.values():
        jax.block_until_ready(fn(*args))
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            jax.block_until_ready(fn(*args))
            times[name].append(1e3 * (time.perf_counter() - t0))
    return times


def _cost(compiled) -> tuple[float, float]:
    """XLA's static estimate: GFLOP and GB accessed per call (independent of the load)."""
    ca = compiled.cost_analysis()
    ca = ca[0] if isinstance(ca, list) else ca
    return ca.get("flops", float("nan")) / 1e9, ca.get("bytes accessed", float("nan")) / 1e9


def run(n: int = 10_000, repeats: int = 7, names=None, sets=None) -> list[dict]:
    key_model, key_x = jax.random.split(jax.random.PRNGKey(0))
    model = eqx.nn.MLP(2, "scalar", 50, 4, activation=jnp.tanh, key=key_model)
    params, static = eqx.partition(model, eqx.is_array)
    box = Box([-1.0, 0.0], [1.0, 1.0])
    points = box.from_unit(jax.random.uniform(key_x, (n, 2), minval=-1.0, maxval=1.0))
    rows = []
    for set_name, alphas in (sets or {"order2": ORDER2, "order3": ORDER3}).items():
        requests = [(0, alpha) for alpha in alphas]
        fns, costs = {}, {}
        for name in names or STRATEGIES:
            strategy = STRATEGIES[name]

            def values(params, points, strategy=strategy):
                model = eqx.combine(params, static)
                return derivatives(model, points, requests, strategy=strategy, scaling=box)

            def loss(params, points, strategy=strategy):
                d = values(params, points, strategy)
                return sum(jnp.mean(v**2) for v in d.values())

            for mode, fn in (("values", values), ("value_and_grad", jax.value_and_grad(loss))):
                compiled = jax.jit(fn).lower(params, points).compile()
                fns[(name, mode)] = compiled
                costs[(name, mode)] = _cost(compiled)
        times = _time_interleaved(fns, (params, points), repeats)
        for name in names or STRATEGIES:
            row = {"set": set_name, "strategy": name}
            for mode in ("values", "value_and_grad"):
                ts = times[(name, mode)]
                row[f"{mode}_ms"] = statistics.median(ts)
                row[f"{mode}_min_ms"] = min(ts)
                row[f"{mode}_gflop"], row[f"{mode}_gb"] = costs[(name, mode)]
            rows.append(row)
            print(
                f"{set_name:6s} {name:16s} values {row['values_ms']:7.1f} ms (min {row['values_min_ms']:6.1f},"
                f" {row['values_gflop']:5.2f} GFLOP)   value_and_grad {row['value_and_grad_ms']:7.1f} ms"
                f" (min {row['value_and_grad_min_ms']:6.1f}, {row['value_and_grad_gflop']:5.2f} GFLOP,"
                f" {row['value_and_grad_gb']:5.2f} GB)",
                flush=True,
            )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--strategies", nargs="*", default=None, choices=list(STRATEGIES))
    parser.add_argument("--json", default=None, help="write the table to this JSON file")
    args = parser.parse_args()
    rows = run(args.n, args.repeats, args.strategies)
    machine = {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cpu": platform.processor() or platform.machine(),
        "n": args.n,
        "repeats": args.repeats,
    }
    print("machine:", machine)
    for set_name in dict.fromkeys(r["set"] for r in rows):
        best = min((r for r in rows if r["set"] == set_name), key=lambda r: r["value_and_grad_ms"])
        print(f"fastest for {set_name} (value_and_grad): {best['strategy']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
